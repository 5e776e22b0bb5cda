// The answers of the registry API (registry-api-routes.ts), as zod schemas for the OpenAPI
// document; the requests are the inputs of registry-schemas.ts, which the service parses with.
// Listed rows keep the column names of broker/registry/*-repo.ts; times are ISO-8601 strings.
import { z } from 'zod';
import { CLIENT_CLASSES, POLICY_ACTIONS, TOKEN_PERMS } from '../../broker/index.js';

const ts = z.string().meta({ format: 'date-time' });
const list = <T extends z.ZodType>(row: T) => z.object({ items: z.array(row) });

export const ParentTopic = z.object({ name: z.string(), description: z.string(), created_at: ts });
export const ParentTopicList = list(ParentTopic);

const clientClass = z.enum(CLIENT_CLASSES);
const policies = z.array(z.object({ actions: z.array(z.enum(POLICY_ACTIONS)), topics: z.array(z.string()) }));

export const Group = z.object({
  group_id: z.string(),
  description: z.string(),
  client_class: clientClass,
  created_at: ts,
});
export const GroupList = list(Group);

export const AccessKeyList = list(
  z.object({
    access_key_id: z.string(),
    description: z.string(),
    group_ids: z.string().nullable().meta({ description: 'Space-separated Group IDs; null = every group' }),
    permissions: policies.meta({ description: 'Access policies on general Group IDs' }),
    created_at: ts,
    revoked_at: ts.nullable(),
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
    device_access_key_id: z.string(),
    client_id: z.string(),
    created_at: ts,
    rotated_at: ts.nullable(),
    revoked_at: ts.nullable(),
  }),
);
export const IssuedDeviceCredential = z
  .object({ deviceAccessKeyId: z.string(), deviceAccessKeySecret: z.string(), clientId: z.string() })
  .meta({ description: 'The secret is shown in this answer only' });

export const TokenList = list(
  z.object({
    id: z.string(),
    access_key_id: z.string(),
    perms: z.enum(TOKEN_PERMS),
    topics: z.array(z.string()),
    expires_at: ts,
    created_at: ts,
    revoked_at: ts.nullable(),
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
