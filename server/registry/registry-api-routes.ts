// REST API of the registries for automation: /api/v1/registry/..., admin scope only.
// Secrets and tokens appear once, in the response that creates them.
import type { Request, Response, Router } from 'express';
import type { PresenceEntry } from '../../broker/index.js';
import { requireScope } from '../auth/api-auth.js';
import { NotFoundError } from '../core/errors.js';
import type { InstanceInfo } from './instance-info.js';
import { parseList } from '../core/list-page.js';
import { RegistryListQuery } from './registry-api-schemas.js';
import type { RegistryService } from './registry-service.js';
import {
  accessKeyJson,
  applicationJson,
  listJson,
  sessionJson,
  tokenJson,
  withoutSecret,
} from './registry-serializers.js';

const P = '/api/v1/registry';
const str = (v: unknown) => String(v ?? '');
const page = (req: Request) => parseList(RegistryListQuery, req.query);

export function registryApiRoutes(
  reg: RegistryService,
  instance: () => Promise<InstanceInfo>,
  lookup: (clientId: string) => Promise<PresenceEntry | null>,
) {
  return (app: Router) => {
    const admin = requireScope('admin');
    const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;

    app.get(`${P}/instance`, admin, async (_req: Request, res: Response) => {
      res.json(await instance());
    });

    app.get(`${P}/settings`, admin, async (_req, res) => {
      res.json(await reg.getSettings());
    });
    app.put(`${P}/settings`, admin, async (req, res) => {
      res.json(await reg.updateSettings(req.actor, body(req)));
    });

    app.get(`${P}/parent-topics`, admin, async (req, res) => {
      res.json(listJson(await reg.listParentTopics(), page(req), (r) => r.name));
    });
    app.post(`${P}/parent-topics`, admin, async (req, res) => {
      res.status(201).json(await reg.createParentTopic(req.actor, body(req)));
    });
    app.delete(`${P}/parent-topics/:name`, admin, async (req, res) => {
      await reg.deleteParentTopic(req.actor, str(req.params.name));
      res.status(204).end();
    });

    app.get(`${P}/groups`, admin, async (req, res) => {
      res.json(listJson(await reg.listGroups(), page(req), (r) => r.group_id));
    });
    app.post(`${P}/groups`, admin, async (req, res) => {
      res.status(201).json(await reg.createGroup(req.actor, body(req)));
    });
    app.put(`${P}/groups/:groupId/class`, admin, async (req, res) => {
      res.json(await reg.setGroupClass(req.actor, str(req.params.groupId), body(req)));
    });
    app.delete(`${P}/groups/:groupId`, admin, async (req, res) => {
      await reg.deleteGroup(req.actor, str(req.params.groupId));
      res.status(204).end();
    });

    app.get(`${P}/access-keys`, admin, async (req, res) => {
      res.json(listJson((await reg.listAccessKeys()).map(accessKeyJson), page(req), (r) => r.access_key_id));
    });
    app.post(`${P}/access-keys`, admin, async (req, res) => {
      res.status(201).json(await reg.issueAccessKey(req.actor, body(req)));
    });
    app.put(`${P}/access-keys/:id/permissions`, admin, async (req, res) => {
      res.json(await reg.setAccessKeyPermissions(req.actor, str(req.params.id), body(req)));
    });
    app.post(`${P}/access-keys/:id/revoke`, admin, async (req, res) => {
      await reg.revokeAccessKey(req.actor, str(req.params.id));
      res.status(204).end();
    });

    app.get(`${P}/device-credentials`, admin, async (req, res) => {
      res.json(
        listJson(
          (await reg.listDeviceCredentials()).map(withoutSecret),
          page(req),
          (r) => r.device_access_key_id,
        ),
      );
    });
    app.post(`${P}/device-credentials`, admin, async (req, res) => {
      res.status(201).json(await reg.issueDeviceCredential(req.actor, body(req)));
    });
    app.post(`${P}/device-credentials/:id/rotate`, admin, async (req, res) => {
      res.json(await reg.rotateDeviceCredential(req.actor, str(req.params.id)));
    });
    app.post(`${P}/device-credentials/:id/revoke`, admin, async (req, res) => {
      await reg.revokeDeviceCredential(req.actor, str(req.params.id));
      res.status(204).end();
    });

    app.get(`${P}/tokens`, admin, async (req, res) => {
      res.json(listJson((await reg.listTokens()).map(tokenJson), page(req), (r) => String(r.id)));
    });
    app.post(`${P}/tokens`, admin, async (req, res) => {
      res.status(201).json(await reg.issueToken(req.actor, body(req)));
    });
    app.post(`${P}/tokens/:id/revoke`, admin, async (req, res) => {
      await reg.revokeToken(req.actor, str(req.params.id));
      res.status(204).end();
    });

    app.get(`${P}/applications`, admin, async (req, res) => {
      res.json(listJson((await reg.listApplications()).map(applicationJson), page(req), (r) => r.appId));
    });
    app.post(`${P}/applications`, admin, async (req, res) => {
      res.status(201).json(await reg.issueApplication(req.actor, body(req)));
    });
    app.post(`${P}/applications/:id/revoke`, admin, async (req, res) => {
      await reg.revokeApplication(req.actor, str(req.params.id));
      res.status(204).end();
    });

    // Like Micro Message Queue for MQTT's QuerySessionByClientId: is this Client ID connected to any node now?
    app.get(`${P}/sessions/:clientId`, admin, async (req, res) => {
      const clientId = str(req.params.clientId);
      if (clientId.length > 64) throw new NotFoundError('No such Client ID.');
      res.json(sessionJson(clientId, await lookup(clientId)));
    });
  };
}
