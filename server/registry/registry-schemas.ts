// Input rules of the registries (the formats of docs/ap-protocol.md and docs/glossary.md), shared by the admin pages and the REST API.
import { z } from 'zod';
import {
  CLIENT_CLASSES,
  GROUP_ID_RE,
  PARENT_TOPIC_RE,
  POLICY_ACTIONS,
  TOKEN_PERMS,
  parseClientId,
  validFilter,
} from '../../broker/index.js';
import { ValidationError } from '../core/errors.js';

const description = z.string().trim().max(255).default('');

export const parentTopicInput = z.object({
  name: z.string().trim().regex(PARENT_TOPIC_RE, '1-32 letters, digits, - or _'),
  description,
});

const clientClass = z.enum(CLIENT_CLASSES).meta({
  description:
    "ap: the device contract (docs/ap-protocol.md); general: what each credential's permissions allow",
});

export const groupInput = z.object({
  groupId: z.string().trim().regex(GROUP_ID_RE, 'GID_ or GID- then letters, digits, - or _; 7-64 characters'),
  description,
  clientClass: clientClass.default('ap'),
});

export const groupClassInput = z.object({ clientClass });

/** A topic filter under a parent topic (its first level: no wildcard, no `$`), at most 64 characters. */
export const topicFilter = z
  .string()
  .trim()
  .max(64)
  .refine(
    (f) => validFilter(f) && PARENT_TOPIC_RE.test(f.split('/')[0]),
    'a topic filter under a parent topic, e.g. esl/sensors/#',
  );

export const policyInput = z.object({
  actions: z.array(z.enum(POLICY_ACTIONS)).min(1).max(2),
  topics: z.array(topicFilter).min(1).max(30),
});

export const permissionsInput = z.object({
  permissions: z.array(policyInput).max(20).meta({
    description: 'Access policies on general Group IDs; empty = none (AP Group IDs ignore them)',
  }),
});

export const accessKeyInput = z.object({
  description,
  /** empty = every group */
  groupIds: z.array(z.string().trim().regex(GROUP_ID_RE, 'not a Group ID')).max(1000).default([]),
  permissions: permissionsInput.shape.permissions.default([]),
});

export const applicationInput = z.object({ description });

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
  topics: z
    .array(topicFilter)
    .max(30)
    .default([])
    .meta({ description: "The filters the token's rights apply to on general Group IDs" }),
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
