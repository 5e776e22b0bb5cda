// Every audit action the code writes has a plain-language phrase in both languages, so the
// auditor's page never falls back to "action: field, field" for a new kind of record. The
// actions are read from the source (string literals on `action:` lines, ternaries included).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABELLED_FIELDS, PHRASED_ACTIONS } from '../../server/audit/audit-plain.js';
import { PROJECT_ROOT } from '../../server/config.js';
import { ui } from '../support/catalogue.js';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const written = [
  ...new Set(
    ['server', 'broker'].flatMap((d) =>
      sourceFiles(path.join(PROJECT_ROOT, d)).flatMap((f) =>
        [...fs.readFileSync(f, 'utf8').matchAll(/\baction:\s*([^,;{}]+)/g)].flatMap((m) =>
          [...m[1].matchAll(/'([a-z_]+(?:\.[a-z_]+)+)'/g)].map((x) => x[1]),
        ),
      ),
    ),
  ),
].sort();

describe('audit phrases', () => {
  it('finds the actions in the source', () => {
    expect(written).toContain('price.changed');
    expect(written).toContain('template.unassigned'); // one of a ternary
    expect(written.length).toBeGreaterThan(50);
  });

  it('phrases every action the code writes, in both languages', () => {
    const phrased = new Set<string>(PHRASED_ACTIONS);
    expect(written.filter((a) => !phrased.has(a))).toEqual([]);
    for (const locale of ['en', 'zh-CN'] as const)
      expect(
        PHRASED_ACTIONS.filter((a) => !ui[locale].has(`audit.act.${a.replace(/\./g, '_')}`)),
        locale,
      ).toEqual([]);
  });

  it('labels every field it names, in both languages', () => {
    for (const locale of ['en', 'zh-CN'] as const)
      expect(
        LABELLED_FIELDS.filter((f) => !ui[locale].has(`audit.field.${f}`)),
        locale,
      ).toEqual([]);
  });
});
