// The i18n domain as the platform composes it: the preference routes. The per-request
// language and helpers (locale-middleware.ts) are installed by the web app itself.
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { PreferencesService } from './preferences-service.js';
import { preferencesRoutes } from './preferences-routes.js';

export function createI18n(ctx: AppContext): DomainModule {
  const prefs = new PreferencesService(ctx.pool);
  return { name: 'i18n', services: [], routes: [preferencesRoutes(prefs)], ports: {} };
}
