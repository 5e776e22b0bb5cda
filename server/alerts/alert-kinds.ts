// The alert rules: what each kind watches, the unit of its threshold, and how it reads.
export const ALERT_KINDS = [
  'ap_offline_minutes',
  'battery_below_mv',
  'task_will_miss_labels',
  'mismatch_minutes',
  'failure_rate_percent',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_KIND_INFO: Record<AlertKind, { title: string; unit: string; help: string }> = {
  ap_offline_minutes: {
    title: 'AP offline',
    unit: 'minutes',
    help: 'an AP has been disconnected longer than this',
  },
  battery_below_mv: {
    title: 'Battery low',
    unit: 'mV',
    help: 'a store has labels whose battery reads below this',
  },
  task_will_miss_labels: {
    title: 'Task will miss its deadline',
    unit: 'labels',
    help: 'a running task will miss at least this many labels if nothing changes',
  },
  mismatch_minutes: {
    title: 'Mismatch not corrected',
    unit: 'minutes',
    help: 'a store has labels showing something other than a price changed longer ago than this, with no task on its way',
  },
  failure_rate_percent: {
    title: 'Failure rate high',
    unit: '%',
    help: 'of the labels decided in the last hour, more than this share timed out',
  },
};

export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
