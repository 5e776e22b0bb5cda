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
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    /** The user's credential stamp at sign-in: a password change since then ends this session. */
    stamp?: string;
    flash?: { type: 'ok' | 'error'; text: string }[];
  }
}

export {};
