import type { Actor, SessionUser } from '../core/identity.js';
import type { Locale, TFn } from '../i18n/i18n.js';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in user, reloaded from MySQL on every request (so disabling takes effect at once). */
      user?: SessionUser & { mustChangePassword: boolean; locale: string | null; timeZone: string | null };
      /** Who is acting, for the audit trail: the user or API key, with request id and IP. */
      actor: Actor;
      /** API key scopes when the request was authenticated by an API key. */
      apiScopes?: string[];
      /** The API key's id when the request was authenticated by an API key. */
      apiKeyId?: number;
      /** The reader's language and time zone, and translators for it (server/i18n/locale-middleware.ts). */
      locale: Locale;
      timeZone: string;
      t: TFn;
      tm: (message: string | null | undefined) => string;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    /** The user's credential stamp at sign-in: a password change since then ends this session. */
    stamp?: string;
    /** A signed-out visitor's language choice. */
    locale?: Locale;
    flash?: { type: 'ok' | 'info' | 'error'; text: string; key?: string; values?: Record<string, unknown> }[];
  }
}

export {};
