import type { SessionUser } from '../auth/roles.js';
import type { Actor } from '../audit/audit-chain.js';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in user, reloaded from MySQL on every request (so disabling takes effect at once). */
      user?: SessionUser & { mustChangePassword: boolean };
      /** Who is acting, for the audit trail: the user or API key, with request id and IP. */
      actor: Actor;
      /** API key scopes when the request was authenticated by an API key. */
      apiScopes?: string[];
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    flash?: { type: 'ok' | 'info' | 'error'; text: string }[];
  }
}

export {};
