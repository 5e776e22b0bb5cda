// The closed lists of the catalog's tables, declared once: used by the repos, the services and
// the pages, and held by the CHECK constraints of price_schedules and price_imports (a test
// compares them).

/** pending: waits for its time; applied: its change (and task) made; cancelled: withdrawn or superseded; failed: could not be applied (the error says why). */
export const SCHEDULE_STATES = ['pending', 'applied', 'cancelled', 'failed'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/** price: a new regular price; promo_start, promo_end: a promotion's two ends. */
export const SCHEDULE_KINDS = ['price', 'promo_start', 'promo_end'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** A validated CSV import: pending until the operator confirms it, then applied. */
export const IMPORT_STATES = ['pending', 'applied'] as const;
export type ImportState = (typeof IMPORT_STATES)[number];

/** Why a price state began: `initial` (the state when history began), a `change` (form, API, import, schedule), a promotion's start or end. */
export const PRICE_HISTORY_REASONS = ['initial', 'change', 'promo_start', 'promo_end'] as const;
export type PriceHistoryReason = (typeof PRICE_HISTORY_REASONS)[number];
