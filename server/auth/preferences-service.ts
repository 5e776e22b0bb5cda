// A user's own language and time zone, saved on their account and audited like any change.
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../core/identity.js';
import { isTimeZone } from '../i18n/format.js';
import { isLocale } from '../i18n/i18n.js';
import * as repo from './preferences-repo.js';

export class PreferencesService {
  constructor(private readonly pool: Pool) {}

  /** `null` clears a choice (back to the browser's language / the default zone). */
  async save(actor: Actor, userId: number, p: { locale?: string | null; timeZone?: string | null }) {
    const fields: Record<string, string> = {};
    if (p.locale != null && !isLocale(p.locale)) fields.locale = 'not a supported language';
    if (p.timeZone != null && !isTimeZone(p.timeZone)) fields.timeZone = 'not a known time zone';
    if (Object.keys(fields).length)
      throw new ValidationError('Please correct the highlighted fields.', fields);
    await withTx(this.pool, async (c) => {
      const before = await repo.findPreferences(c, userId, true);
      if (!before) throw new NotFoundError('No such user.');
      const after = {
        locale: p.locale !== undefined ? p.locale : before.locale,
        timeZone: p.timeZone !== undefined ? p.timeZone : before.time_zone,
      };
      if (after.locale === before.locale && after.timeZone === before.time_zone) return;
      await repo.updatePreferences(c, userId, p);
      await appendAudit(c, actor, [
        {
          action: 'user.preferences_changed',
          objectType: 'user',
          objectId: before.username,
          before: { locale: before.locale, timeZone: before.time_zone },
          after,
        },
      ]);
    });
  }
}
