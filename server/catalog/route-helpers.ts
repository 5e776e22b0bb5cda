// What the catalog's page routes share: who may read and write, and parsing of path and form values.
import { ValidationError } from '../core/errors.js';
import { requireRole } from '../web/guards.js';

/** Auditors read everything; changes are for operators and admins (stores: admins only, see stores-routes.ts). */
export const readers = requireRole('admin', 'operator', 'auditor');
export const writers = requireRole('admin', 'operator');
export const str = (v: unknown) => (typeof v === 'string' ? v : '');
export const positiveId = (v: unknown) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ValidationError('Invalid id.');
  return n;
};
