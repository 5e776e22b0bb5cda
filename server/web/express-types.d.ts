import type { Actor, SessionUser } from '../core/identity.js';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in user, reloaded from MySQL on every request (so disabling takes effect at once). */
      user?: SessionUser & { mustChangePassword: boolean };
      /** Who is acting, for the audit trail: the user or API key, with request id and IP. */
      actor: Actor;
      /** API key scopes when the request was authenticated by an API key. */
      apiScopes?: string[];
      /** The API key's id when the request was authenticated by an API key. */
      apiKeyId?: number;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    flash?: { type: 'ok' | 'error'; text: string }[];
  }
}

export {};
