// Input rules of the registries (the formats of docs/ap-protocol.md and docs/glossary.md), shared by the admin pages and the REST API.
import { z } from 'zod';
import { GROUP_ID_RE, PARENT_TOPIC_RE, TOKEN_PERMS, parseClientId } from '../../broker/index.js';
import { ValidationError } from '../core/errors.js';

const description = z.string().trim().max(255).default('');

export const parentTopicInput = z.object({
  name: z.string().trim().regex(PARENT_TOPIC_RE, '1-32 letters, digits, - or _'),
  description,
});

export const groupInput = z.object({
  groupId: z.string().trim().regex(GROUP_ID_RE, 'GID_ or GID- then letters, digits, - or _; 7-64 characters'),
  description,
});

export const accessKeyInput = z.object({
  description,
  /** empty = every group */
  groupIds: z.array(z.string().trim().regex(GROUP_ID_RE, 'not a Group ID')).max(1000).default([]),
});

export const deviceCredentialInput = z.object({
  clientId: z
    .string()
    .trim()
    .refine((s) => parseClientId(s) !== null, 'a Client ID: <GroupID>@@@<DeviceID>, at most 64 characters'),
});

export const tokenInput = z.object({
  accessKeyId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{8,32}$/, 'an AccessKey id'),
  perms: z.enum(TOKEN_PERMS),
  ttlSeconds: z.coerce
    .number()
    .int()
    .min(60)
    .max(365 * 24 * 3600)
    .default(24 * 3600),
});

/** Instance-wide broker options; a form's checkbox sends 'on' or nothing, JSON a boolean. */
export const settingsInput = z.object({
  deviceCredentialsWin: z
    .union([z.boolean(), z.enum(['on', 'true', 'false', '1', '0'])])
    .optional()
    .transform((v) => v === true || v === 'on' || v === 'true' || v === '1'),
});

/** Parses or throws a ValidationError naming each bad field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const i of r.error.issues) fields[String(i.path[0] ?? 'input')] ??= i.message;
  throw new ValidationError('Please correct the highlighted fields.', fields);
}
