// The answers of the registry API (registry-api-routes.ts), as zod schemas for the OpenAPI
// document; the requests are the inputs of registry-schemas.ts, which the service parses with.
// Listed rows are the rows of broker/registry/*-repo.ts in camelCase; times are ISO-8601 strings.
// Lists are paged with `cursor` and `limit` (server/core/list-page.ts), in key order.
import { z } from 'zod';
import { CLIENT_CLASSES, POLICY_ACTIONS, TOKEN_PERMS } from '../../broker/index.js';
import { listQuery } from '../core/list-page.js';

const ts = z.string().meta({ format: 'date-time' });
const list = <T extends z.ZodType>(row: T) =>
  z.object({
    items: z.array(row),
    nextCursor: z.string().nullable().meta({ description: 'The next page: pass as `cursor`' }),
  });

export const RegistryListQuery = listQuery({});

export const ParentTopic = z.object({ name: z.string(), description: z.string(), createdAt: ts });
export const ParentTopicList = list(ParentTopic);

const clientClass = z.enum(CLIENT_CLASSES);
const policies = z.array(z.object({ actions: z.array(z.enum(POLICY_ACTIONS)), topics: z.array(z.string()) }));

export const Group = z.object({
  groupId: z.string(),
  description: z.string(),
  clientClass,
  createdAt: ts,
});
export const GroupList = list(Group);

export const AccessKeyList = list(
  z.object({
    accessKeyId: z.string(),
    description: z.string(),
    groupIds: z.string().nullable().meta({ description: 'Space-separated Group IDs; null = every group' }),
    permissions: policies.meta({ description: 'Access policies on general Group IDs' }),
    createdAt: ts,
    revokedAt: ts.nullable(),
  }),
);
export const IssuedAccessKey = z
  .object({
    accessKeyId: z.string(),
    accessKeySecret: z.string(),
    groupIds: z.array(z.string()).nullable().meta({ description: 'null = every group' }),
    permissions: policies,
  })
  .meta({ description: 'The secret is shown in this answer only' });

export const DeviceCredentialList = list(
  z.object({
    deviceAccessKeyId: z.string(),
    clientId: z.string(),
    createdAt: ts,
    rotatedAt: ts.nullable(),
    revokedAt: ts.nullable(),
  }),
);
export const IssuedDeviceCredential = z
  .object({ deviceAccessKeyId: z.string(), deviceAccessKeySecret: z.string(), clientId: z.string() })
  .meta({ description: 'The secret is shown in this answer only' });

export const TokenList = list(
  z.object({
    id: z.string(),
    accessKeyId: z.string(),
    perms: z.enum(TOKEN_PERMS),
    topics: z.array(z.string()),
    expiresAt: ts,
    createdAt: ts,
    revokedAt: ts.nullable(),
  }),
);
export const IssuedToken = z
  .object({
    id: z.string(),
    token: z.string(),
    accessKeyId: z.string(),
    perms: z.enum(TOKEN_PERMS),
    topics: z.array(z.string()),
    expiresAt: ts,
  })
  .meta({ description: 'The token is shown in this answer only' });

export const BrokerSettings = z.object({
  deviceCredentialsWin: z.boolean().meta({
    description: 'Refuse a Signature AccessKey for a Client ID that holds its own live device credential',
  }),
});

export const InstanceInfo = z.object({
  instanceId: z.string(),
  serverUrls: z.array(z.object({ transport: z.enum(['tcp', 'tls', 'ws', 'wss']), url: z.string() })),
});

export const SessionInfo = z.object({
  clientId: z.string(),
  online: z.boolean(),
  brokerNode: z.string().optional(),
  ip: z.string().nullable().optional(),
  since: ts.optional().meta({ description: 'When the current connection was made' }),
});

export const GroupClass = z.object({ groupId: z.string(), clientClass });
export const AccessKeyPermissions = z.object({ accessKeyId: z.string(), permissions: policies });

export const ApplicationList = list(
  z.object({
    appId: z.string(),
    description: z.string(),
    builtin: z.boolean().meta({ description: "The platform's own identity (Platform|<InstanceId>)" }),
    createdAt: ts,
    revokedAt: ts.nullable(),
  }),
);
export const IssuedApplication = z
  .object({ appId: z.string(), appSecret: z.string(), description: z.string() })
  .meta({ description: 'The secret is shown in this answer only' });
