// Authentication as the platform composes it: users (the first admin created at first start),
// sessions and login throttling, API keys; their pages. The web app gets two ports from here:
// who a session's user is, and the API-key check in front of /api/v1.
import type { RequestHandler } from 'express';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { CurrentUser } from '../web/app.js';
import { apiKeyAuth } from './api-auth.js';
import { apiKeysRoutes } from './api-keys-routes.js';
import { ApiKeysService } from './api-keys-service.js';
import { authRoutes } from './auth-routes.js';
import { LoginThrottle } from './login-throttle.js';
import { PreferencesService } from './preferences-service.js';
import { preferencesRoutes } from './preferences-routes.js';
import { usersRoutes } from './users-routes.js';
import { UsersService } from './users-service.js';

export interface AuthPorts {
  currentUser: CurrentUser;
  apiAuth: RequestHandler;
  /** The admin created at this start, with the one-time password when none was configured. */
  firstAdmin: { username: string; password: string | null } | null;
}

export async function createAuthModule(ctx: AppContext): Promise<DomainModule<AuthPorts>> {
  const { config, pool, redis } = ctx;
  const users = new UsersService(
    pool,
    new LoginThrottle(redis, config.REDIS_PREFIX, config.LOGIN_MAX_ATTEMPTS, config.LOGIN_WINDOW_SECONDS),
  );
  const firstAdmin = await users.ensureFirstAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD);
  const apiKeys = new ApiKeysService(pool);
  return {
    name: 'auth',
    services: [],
    routes: [
      authRoutes(users, config.DEFAULT_TIME_ZONE),
      usersRoutes(users),
      apiKeysRoutes(apiKeys, users),
      preferencesRoutes(new PreferencesService(pool)),
    ],
    ports: { currentUser: (id, stamp) => users.current(id, stamp), apiAuth: apiKeyAuth(apiKeys), firstAdmin },
  };
}
