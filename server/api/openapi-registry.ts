// The registry API (server/registry/registry-api-routes.ts) in the OpenAPI document: its
// requests are the zod inputs the registry service parses with, its answers the shapes of
// server/registry/registry-api-schemas.ts.
import * as out from '../registry/registry-api-schemas.js';
import {
  accessKeyInput,
  applicationInput,
  deviceCredentialInput,
  groupClassInput,
  groupInput,
  permissionsInput,
  parentTopicInput,
  settingsInput,
  tokenInput,
} from '../registry/registry-schemas.js';
import {
  body,
  errors,
  idempotencyErrors,
  idempotencyKey,
  json,
  noContent,
  pathParam,
  queryParams,
} from './openapi-common.js';

export const registrySchemas = {
  RegistryInstance: out.InstanceInfo,
  BrokerSettings: out.BrokerSettings,
  BrokerSettingsUpdate: settingsInput,
  ParentTopic: out.ParentTopic,
  ParentTopicList: out.ParentTopicList,
  ParentTopicCreate: parentTopicInput,
  RegistryGroup: out.Group,
  RegistryGroupList: out.GroupList,
  RegistryGroupCreate: groupInput,
  AccessKeyList: out.AccessKeyList,
  AccessKeyCreate: accessKeyInput,
  IssuedAccessKey: out.IssuedAccessKey,
  DeviceCredentialList: out.DeviceCredentialList,
  DeviceCredentialCreate: deviceCredentialInput,
  IssuedDeviceCredential: out.IssuedDeviceCredential,
  TokenList: out.TokenList,
  TokenCreate: tokenInput,
  IssuedToken: out.IssuedToken,
  ClientSession: out.SessionInfo,
  RegistryGroupClassUpdate: groupClassInput,
  RegistryGroupClass: out.GroupClass,
  AccessKeyPermissionsUpdate: permissionsInput,
  AccessKeyPermissions: out.AccessKeyPermissions,
  ApplicationList: out.ApplicationList,
  ApplicationCreate: applicationInput,
  IssuedApplication: out.IssuedApplication,
};

const P = '/api/v1/registry';
const tags = ['registry'];
const notFound = (what: string) => ({ 404: json('Error', `No such ${what}`) });
const conflict = (why: string) => ({ 409: json('Error', why) });

const list = (operationId: string, summary: string, schema: string) => ({
  get: {
    operationId,
    tags,
    summary: `${summary} (scope admin)`,
    parameters: queryParams(out.RegistryListQuery),
    responses: { 200: json(schema, 'A page of the list, in key order'), ...errors },
  },
});
const create = (
  operationId: string,
  summary: string,
  request: string,
  answer: string,
  extra: Record<number, object> = {},
) => ({
  post: {
    operationId,
    tags,
    summary: `${summary} (scope admin)`,
    parameters: [idempotencyKey],
    requestBody: body(request),
    responses: {
      201: json(answer, 'Created'),
      ...errors,
      ...idempotencyErrors,
      ...extra,
    },
  },
});
const action = (operationId: string, summary: string, param: object, what: string, answer?: string) => ({
  post: {
    operationId,
    tags,
    summary: `${summary} (scope admin)`,
    parameters: [param, idempotencyKey],
    responses: {
      ...(answer ? { 200: json(answer, 'Done') } : { 204: noContent }),
      ...errors,
      ...notFound(what),
      ...idempotencyErrors,
      ...conflict(
        answer
          ? 'The Idempotency-Key is in use'
          : `The ${what} is revoked already, or the Idempotency-Key is in use`,
      ),
    },
  },
});
const remove = (operationId: string, summary: string, param: object, what: string, inUse?: string) => ({
  delete: {
    operationId,
    tags,
    summary: `${summary} (scope admin)`,
    parameters: [param],
    responses: { 204: noContent, ...errors, ...notFound(what), ...(inUse ? conflict(inUse) : {}) },
  },
});
const id = (what: string) => pathParam('id', what);

export const registryPaths = {
  [`${P}/instance`]: {
    get: {
      operationId: 'getRegistryInstance',
      tags,
      summary: 'The MQTT instance id and one server URL per enabled listener (scope admin)',
      responses: { 200: json('RegistryInstance', 'The instance'), ...errors },
    },
  },
  [`${P}/settings`]: {
    get: {
      operationId: 'getBrokerSettings',
      tags,
      summary: 'Instance-wide broker options (scope admin)',
      responses: { 200: json('BrokerSettings', 'The options'), ...errors },
    },
    put: {
      operationId: 'updateBrokerSettings',
      tags,
      summary: 'Change the broker options; they apply to the next connection on every node (scope admin)',
      requestBody: body('BrokerSettingsUpdate'),
      responses: { 200: json('BrokerSettings', 'The options now'), ...errors },
    },
  },
  [`${P}/parent-topics`]: {
    ...list('listParentTopics', 'Parent topics', 'ParentTopicList'),
    ...create(
      'createParentTopic',
      'Register a parent topic',
      'ParentTopicCreate',
      'ParentTopicCreate',
      conflict('The parent topic exists already, or the Idempotency-Key is in use'),
    ),
  },
  [`${P}/parent-topics/{name}`]: remove(
    'deleteParentTopic',
    'Delete a parent topic',
    pathParam('name', 'Parent topic'),
    'parent topic',
  ),
  [`${P}/groups`]: {
    ...list('listRegistryGroups', 'Registered Group IDs', 'RegistryGroupList'),
    ...create(
      'createRegistryGroup',
      'Register a Group ID (immutable: create and delete, no rename)',
      'RegistryGroupCreate',
      'RegistryGroupCreate',
      conflict('The Group ID exists already, or the Idempotency-Key is in use'),
    ),
  },
  [`${P}/groups/{groupId}`]: remove(
    'deleteRegistryGroup',
    'Delete a Group ID',
    pathParam('groupId', 'Group ID'),
    'Group ID',
    'The Group ID is in use by a store',
  ),
  [`${P}/access-keys`]: {
    ...list('listAccessKeys', 'Signature AccessKeys, without their secrets', 'AccessKeyList'),
    ...create(
      'issueAccessKey',
      'Issue a Signature AccessKey, optionally limited to some Group IDs',
      'AccessKeyCreate',
      'IssuedAccessKey',
    ),
  },
  [`${P}/access-keys/{id}/revoke`]: action(
    'revokeAccessKey',
    'Revoke an AccessKey',
    id('AccessKey id'),
    'AccessKey',
  ),
  [`${P}/device-credentials`]: {
    ...list('listDeviceCredentials', 'Device credentials, without their secrets', 'DeviceCredentialList'),
    ...create(
      'issueDeviceCredential',
      'Issue a device credential for one Client ID',
      'DeviceCredentialCreate',
      'IssuedDeviceCredential',
      conflict('The Client ID holds a credential already (rotate it), or the Idempotency-Key is in use'),
    ),
  },
  [`${P}/device-credentials/{id}/rotate`]: action(
    'rotateDeviceCredential',
    'Give a device credential a new secret',
    id('Device AccessKey id'),
    'device credential',
    'IssuedDeviceCredential',
  ),
  [`${P}/device-credentials/{id}/revoke`]: action(
    'revokeDeviceCredential',
    'Revoke a device credential',
    id('Device AccessKey id'),
    'device credential',
  ),
  [`${P}/tokens`]: {
    ...list('listTokens', 'The latest 500 tokens, without the tokens themselves', 'TokenList'),
    ...create('issueToken', 'Issue a token for an AccessKey', 'TokenCreate', 'IssuedToken', {
      404: json('Error', 'No such active AccessKey'),
    }),
  },
  [`${P}/tokens/{id}/revoke`]: action('revokeToken', 'Revoke a token', id('Token id'), 'token'),
  [`${P}/groups/{groupId}/class`]: {
    put: {
      operationId: 'setRegistryGroupClass',
      tags,
      summary:
        "Choose a Group ID's client class (ap or general); its clients are disconnected to reconnect under it (scope admin)",
      parameters: [pathParam('groupId', 'Group ID')],
      requestBody: body('RegistryGroupClassUpdate'),
      responses: { 200: json('RegistryGroupClass', 'The class now'), ...errors, ...notFound('Group ID') },
    },
  },
  [`${P}/access-keys/{id}/permissions`]: {
    put: {
      operationId: 'setAccessKeyPermissions',
      tags,
      summary:
        "Replace an AccessKey's access policies on general Group IDs; its clients are disconnected to reconnect under them (scope admin)",
      parameters: [id('AccessKey id')],
      requestBody: body('AccessKeyPermissionsUpdate'),
      responses: {
        200: json('AccessKeyPermissions', 'The policies now'),
        ...errors,
        ...notFound('AccessKey'),
        ...conflict('The AccessKey is revoked'),
      },
    },
  },
  [`${P}/applications`]: {
    ...list('listApplications', 'Server-side applications, without their secrets', 'ApplicationList'),
    ...create(
      'issueApplication',
      'Issue a server-side application identity (publishes tasks and P2P, subscribes to acks and status)',
      'ApplicationCreate',
      'IssuedApplication',
    ),
  },
  [`${P}/applications/{id}/revoke`]: action(
    'revokeApplication',
    'Revoke an application; its clients are disconnected on every node',
    id('Application id'),
    'application',
  ),
  [`${P}/sessions/{clientId}`]: {
    get: {
      operationId: 'getClientSession',
      tags,
      summary: 'Whether a Client ID is connected to any node now (scope admin)',
      parameters: [
        pathParam('clientId', 'Client ID: <GroupID>@@@<DeviceID>', { type: 'string', maxLength: 64 }),
      ],
      responses: { 200: json('ClientSession', 'Its connection'), ...errors, ...notFound('Client ID') },
    },
  },
};
