// Every closed list the schema enforces (a CHECK constraint `column IN (...)`) is declared once
// in the code, and the two agree: read back from information_schema of a freshly migrated
// database, so a migration and its constant cannot drift apart unnoticed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_CLASSES, TOKEN_PERMS } from '../../broker/index.js';
import { ALERT_STATES } from '../../server/alerts/alert-kinds.js';
import { IDEMPOTENCY_STATES } from '../../server/api/idempotency-repo.js';
import { USER_ROLES } from '../../server/auth/roles.js';
import {
  IMPORT_STATES,
  PRICE_HISTORY_REASONS,
  SCHEDULE_KINDS,
  SCHEDULE_STATES,
} from '../../server/catalog/states.js';
import {
  COMMAND_KINDS,
  COMMAND_REASONS,
  COMMAND_STATES,
  LED_COLOURS,
  LED_PATTERNS,
} from '../../server/commands/states.js';
import { queryRows } from '../../server/db/query.js';
import { COLOUR_SETS, RENDER_PROGRESS_STATES } from '../../server/render/states.js';
import { ITEM_STATES, TASK_SOURCES, TASK_STATES } from '../../server/tasks/states.js';
import { DELIVERY_STATES } from '../../server/webhooks/deliveries-repo.js';
import { migratedDatabase } from '../support/env.js';

const DECLARED: Record<string, readonly string[]> = {
  'users.role': USER_ROLES,
  'mqtt_tokens.perms': TOKEN_PERMS,
  'mqtt_groups.client_class': CLIENT_CLASSES,
  'price_schedules.state': SCHEDULE_STATES,
  'price_schedules.kind': SCHEDULE_KINDS,
  'price_imports.state': IMPORT_STATES,
  'price_history.reason': PRICE_HISTORY_REASONS,
  'tasks.state': TASK_STATES,
  'tasks.source': TASK_SOURCES,
  'task_items.state': ITEM_STATES,
  'alerts.state': ALERT_STATES,
  'idempotency_keys.state': IDEMPOTENCY_STATES,
  'label_models.colours': COLOUR_SETS,
  'render_task_progress.state': RENDER_PROGRESS_STATES,
  'webhook_deliveries.state': DELIVERY_STATES,
  'label_commands.kind': COMMAND_KINDS,
  'label_commands.state': COMMAND_STATES,
  'label_commands.colour': LED_COLOURS,
  'label_commands.pattern': LED_PATTERNS,
  'label_commands.reason': COMMAND_REASONS,
};

let db: Awaited<ReturnType<typeof migratedDatabase>>;
/** `table.column` -> the value lists of its IN constraints */
const checked = new Map<string, string[][]>();

beforeAll(async () => {
  db = await migratedDatabase();
  const rows = await queryRows<{ tableName: string; clause: string }>(
    db.pool,
    `SELECT tc.TABLE_NAME AS tableName, cc.CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS cc
       JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA
        AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK'
     WHERE cc.CONSTRAINT_SCHEMA = DATABASE()`,
  );
  for (const r of rows) {
    // MariaDB: `state` in ('queued',...); MySQL 8: (`state` in (_utf8mb4'queued',...))
    const column = /^\(?`(\w+)`\s+in\s*\(/i.exec(r.clause)?.[1];
    if (!column) continue;
    const key = `${r.tableName}.${column}`;
    checked.set(key, [...(checked.get(key) ?? []), [...r.clause.matchAll(/'([^']*)'/g)].map((m) => m[1])]);
  }
}, 120_000);
afterAll(() => db?.drop());

const sorted = (values: readonly string[]) => [...values].sort();

describe('CHECK constraints and the declared lists', () => {
  it('declares a list for every column the schema restricts to a list, and no other', () => {
    expect(sorted([...checked.keys()])).toEqual(sorted(Object.keys(DECLARED)));
  });

  it.each(Object.entries(DECLARED))('%s: one constraint, with exactly the declared values', (key, values) => {
    const lists = checked.get(key) ?? [];
    expect(lists).toHaveLength(1);
    expect(sorted(lists[0])).toEqual(sorted(values));
  });
});
