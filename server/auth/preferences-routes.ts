// The header's language switcher (signed in or not) and the account page's time zone: POST
// forms with the CSRF token. A signed-in user's choice is saved on the account; a signed-out
// visitor's lasts for the session.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { isLocale } from '../i18n/i18n.js';
import type { PreferencesService } from './preferences-service.js';

/** Only same-site paths, so the form cannot send anyone elsewhere. */
const safeNext = (v: unknown) => (typeof v === 'string' && /^\/(?!\/)[^\s\\]*$/.test(v) ? v : '/');
const field = (v: unknown) => (typeof v === 'string' ? v.trim() : undefined);

export function preferencesRoutes(prefs: PreferencesService) {
  return (app: Router) => {
    app.post('/account/preferences', async (req: Request, res: Response) => {
      const locale = field(req.body.locale);
      const timeZone = field(req.body.timeZone);
      if (locale !== undefined && locale !== '' && !isLocale(locale))
        throw new ValidationError('Please correct the highlighted fields.', {
          locale: 'not a supported language',
        });
      if (req.user) {
        // The account's choice from now on; one made before signing in no longer applies.
        if (locale !== undefined) delete req.session.locale;
        await prefs.save(req.actor, req.user.id, {
          ...(locale !== undefined ? { locale: locale || null } : {}),
          ...(timeZone !== undefined ? { timeZone: timeZone || null } : {}),
        });
      } else if (locale !== undefined) {
        if (locale) req.session.locale = locale as typeof req.session.locale;
        else delete req.session.locale;
      }
      res.redirect(safeNext(req.body.next));
    });
  };
}
