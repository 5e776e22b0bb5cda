// Health bands of a label, shared by the dashboard's counts and the label health list, so a
// number on the dashboard and the list it links to always agree.
export const BATTERY_BANDS = ['critical', 'low', 'ok', 'unknown'] as const;
export const SIGNAL_BANDS = ['weak', 'fair', 'good', 'unknown'] as const;
export const SEEN_BANDS = ['stale', 'never'] as const;
export type BatteryBand = (typeof BATTERY_BANDS)[number];
export type SignalBand = (typeof SIGNAL_BANDS)[number];
export type SeenBand = (typeof SEEN_BANDS)[number];

/** Millivolts of a label's coin cell: below CRITICAL it may stop updating soon. */
export const BATTERY_CRITICAL_MV = 2500;
export const BATTERY_LOW_MV = 2700;
/** dBm as the AP reports it */
export const SIGNAL_WEAK_DBM = -85;
export const SIGNAL_FAIR_DBM = -70;
/** APs report at least every 60 s: a label unheard of for an hour is no longer in any AP's reports. */
export const STALE_AFTER_SECONDS = 3600;

/** SQL condition (on labels alias `l`) and its parameters for each band. */
export function batterySql(b: BatteryBand): [string, unknown[]] {
  switch (b) {
    case 'critical':
      return ['l.battery_mv < ?', [BATTERY_CRITICAL_MV]];
    case 'low':
      return ['l.battery_mv >= ? AND l.battery_mv < ?', [BATTERY_CRITICAL_MV, BATTERY_LOW_MV]];
    case 'ok':
      return ['l.battery_mv >= ?', [BATTERY_LOW_MV]];
    case 'unknown':
      return ['l.battery_mv IS NULL', []];
  }
}

export function signalSql(b: SignalBand): [string, unknown[]] {
  switch (b) {
    case 'weak':
      return ['l.rssi < ?', [SIGNAL_WEAK_DBM]];
    case 'fair':
      return ['l.rssi >= ? AND l.rssi < ?', [SIGNAL_WEAK_DBM, SIGNAL_FAIR_DBM]];
    case 'good':
      return ['l.rssi >= ?', [SIGNAL_FAIR_DBM]];
    case 'unknown':
      return ['l.rssi IS NULL', []];
  }
}

export function seenSql(b: SeenBand): [string, unknown[]] {
  return b === 'never'
    ? ['l.last_status_at IS NULL', []]
    : ['l.last_status_at < NOW(3) - INTERVAL ? SECOND', [STALE_AFTER_SECONDS]];
}

export function batteryBand(mv: number | null): BatteryBand {
  if (mv === null) return 'unknown';
  return mv < BATTERY_CRITICAL_MV ? 'critical' : mv < BATTERY_LOW_MV ? 'low' : 'ok';
}

export function signalBand(dbm: number | null): SignalBand {
  if (dbm === null) return 'unknown';
  return dbm < SIGNAL_WEAK_DBM ? 'weak' : dbm < SIGNAL_FAIR_DBM ? 'fair' : 'good';
}
