// Admin pages of the broker: the instance (id, ServerUrls, parent topics, Group IDs) and the
// credentials (AccessKeys, device credentials, tokens). Admin role only; the use cases and
// their validation live in RegistryService.
import type { Request, Response, Router } from 'express';
import { AppError, ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import type { InstanceInfo } from './instance-info.js';
import { policiesFromText, policiesToText } from './policy-form.js';
import { accessKeyJson } from './registry-serializers.js';
import type { RegistryService } from './registry-service.js';

const list = (v: unknown) =>
  String(v ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);

export function registryPageRoutes(
  reg: RegistryService,
  instance: () => Promise<InstanceInfo>,
  ownParentTopic: string,
) {
  return (app: Router) => {
    const admin = requireRole('admin');

    const instancePage = async (res: Response, extra: Record<string, unknown> = {}) =>
      res.render('registry/instance', {
        title: res.req.t('registry.instanceTitle'),
        instance: await instance(),
        parentTopics: await reg.listParentTopics(),
        groups: await reg.listGroups(),
        ownParentTopic,
        formError: null,
        settings: await reg.getSettings(),
        ...extra,
      });

    const credentialsPage = async (res: Response, extra: Record<string, unknown> = {}) =>
      res.render('registry/credentials', {
        title: res.req.t('registry.credentialsTitle'),
        accessKeys: (await reg.listAccessKeys()).map(accessKeyJson),
        policiesToText,
        applications: await reg.listApplications(),
        deviceCredentials: await reg.listDeviceCredentials(),
        tokens: await reg.listTokens(),
        issued: null,
        formError: null,
        ...extra,
      });

    /**
     * Runs a change; a validation error re-renders the page with the fields marked, a refusal
     * (in use, not found, revoked already) with its message above the forms.
     */
    const act =
      (
        page: typeof instancePage,
        done: (req: Request, res: Response, out: unknown) => Promise<unknown>,
        fn: (req: Request) => Promise<unknown>,
      ) =>
      async (req: Request, res: Response) => {
        try {
          await done(req, res, await fn(req));
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          res.status(err.status);
          if (err instanceof ValidationError) await page(res, { errors: err.fields, values: req.body });
          else await page(res, { formError: err.message });
        }
      };
    const back = (to: string, key: string) => async (req: Request, res: Response) => {
      flashKey(req, 'ok', key);
      res.redirect(to);
    };
    const showIssued = async (_req: Request, res: Response, issued: unknown) =>
      credentialsPage(res, { issued });

    app.get('/admin/mqtt', admin, async (_req, res) => instancePage(res));
    app.post(
      '/admin/mqtt/settings',
      admin,
      act(instancePage, back('/admin/mqtt', 'registry.settingsSaved'), (req) =>
        reg.updateSettings(req.actor, req.body),
      ),
    );
    app.post(
      '/admin/mqtt/parent-topics',
      admin,
      act(instancePage, back('/admin/mqtt', 'registry.parentTopicCreated'), (req) =>
        reg.createParentTopic(req.actor, req.body),
      ),
    );
    app.post(
      '/admin/mqtt/parent-topics/:name/delete',
      admin,
      act(instancePage, back('/admin/mqtt', 'registry.parentTopicDeleted'), (req) =>
        reg.deleteParentTopic(req.actor, String(req.params.name)),
      ),
    );
    app.post(
      '/admin/mqtt/groups',
      admin,
      act(instancePage, back('/admin/mqtt', 'registry.groupCreated'), (req) =>
        reg.createGroup(req.actor, req.body),
      ),
    );
    app.post(
      '/admin/mqtt/groups/:id/class',
      admin,
      act(instancePage, back('/admin/mqtt', 'registry.groupClassSaved'), (req) =>
        reg.setGroupClass(req.actor, String(req.params.id), req.body),
      ),
    );
    app.post(
      '/admin/mqtt/groups/:id/delete',
      admin,
      act(instancePage, back('/admin/mqtt', 'registry.groupDeleted'), (req) =>
        reg.deleteGroup(req.actor, String(req.params.id)),
      ),
    );

    app.get('/admin/mqtt/credentials', admin, async (_req, res) => credentialsPage(res));
    app.post(
      '/admin/mqtt/access-keys',
      admin,
      act(credentialsPage, showIssued, (req) =>
        reg.issueAccessKey(req.actor, {
          description: req.body.description,
          groupIds: list(req.body.groupIds),
          permissions: policiesFromText(req.body.permissions),
        }),
      ),
    );
    app.post(
      '/admin/mqtt/access-keys/:id/permissions',
      admin,
      act(credentialsPage, back('/admin/mqtt/credentials', 'registry.permissionsSaved'), (req) =>
        reg.setAccessKeyPermissions(req.actor, String(req.params.id), {
          permissions: policiesFromText(req.body.permissions),
        }),
      ),
    );
    app.post(
      '/admin/mqtt/access-keys/:id/revoke',
      admin,
      act(credentialsPage, back('/admin/mqtt/credentials', 'registry.accessKeyRevoked'), (req) =>
        reg.revokeAccessKey(req.actor, String(req.params.id)),
      ),
    );
    app.post(
      '/admin/mqtt/device-credentials',
      admin,
      act(credentialsPage, showIssued, (req) => reg.issueDeviceCredential(req.actor, req.body)),
    );
    app.post(
      '/admin/mqtt/device-credentials/:id/rotate',
      admin,
      act(credentialsPage, showIssued, (req) => reg.rotateDeviceCredential(req.actor, String(req.params.id))),
    );
    app.post(
      '/admin/mqtt/device-credentials/:id/revoke',
      admin,
      act(credentialsPage, back('/admin/mqtt/credentials', 'registry.deviceCredentialRevoked'), (req) =>
        reg.revokeDeviceCredential(req.actor, String(req.params.id)),
      ),
    );
    app.post(
      '/admin/mqtt/tokens',
      admin,
      act(credentialsPage, showIssued, (req) =>
        reg.issueToken(req.actor, { ...req.body, topics: list(req.body.topics) }),
      ),
    );
    app.post(
      '/admin/mqtt/applications',
      admin,
      act(credentialsPage, showIssued, (req) => reg.issueApplication(req.actor, req.body)),
    );
    app.post(
      '/admin/mqtt/applications/:id/revoke',
      admin,
      act(credentialsPage, back('/admin/mqtt/credentials', 'registry.applicationRevoked'), (req) =>
        reg.revokeApplication(req.actor, String(req.params.id)),
      ),
    );
    app.post(
      '/admin/mqtt/tokens/:id/revoke',
      admin,
      act(credentialsPage, back('/admin/mqtt/credentials', 'registry.tokenRevoked'), (req) =>
        reg.revokeToken(req.actor, String(req.params.id)),
      ),
    );
  };
}
