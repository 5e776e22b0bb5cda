// Topic-filter matching and covering (MQTT 3.1.1 section 4.7) as the general class uses them,
// and the stored form of access policies: what a grant allows, exactly.
import { describe, expect, it } from 'vitest';
import {
  covers,
  grantsOf,
  matches,
  mayPublish,
  maySubscribe,
  parsePolicies,
  validFilter,
} from '../../broker/permissions.js';

describe('topic filters', () => {
  it('match topic names level by level, # also matching its parent level', () => {
    const cases: [string, string, boolean][] = [
      ['esl/a/#', 'esl/a', true],
      ['esl/a/#', 'esl/a/b/c', true],
      ['esl/a/#', 'esl/ab', false],
      ['esl/+/c', 'esl/b/c', true],
      ['esl/+/c', 'esl//c', true],
      ['esl/+/c', 'esl/b/c/d', false],
      ['esl/+', 'esl', false],
      ['esl/a', 'esl/a/', false],
      ['esl/#', '$esl/a', false],
    ];
    for (const [f, t, want] of cases) expect(matches(f, t), `${f} ~ ${t}`).toBe(want);
  });

  it('cover a subscription only when every topic it matches is matched by the grant', () => {
    const cases: [string, string, boolean][] = [
      ['esl/#', 'esl/a/+', true],
      ['esl/#', 'esl/#', true],
      ['esl/#', 'esl', true],
      ['esl/a/+', 'esl/#', false],
      ['esl/a/+', 'esl/a/+', true],
      ['esl/a/+', 'esl/+/+', false],
      ['esl/+/+', 'esl/a/b', true],
      ['esl/+/+', 'esl/a/#', false],
      ['esl/a/#', 'esl/a', true],
      ['esl/a', 'esl/a/#', false],
    ];
    for (const [g, s, want] of cases) expect(covers(g, s), `${s} inside ${g}`).toBe(want);
  });

  it('are valid only with wildcards alone in their level and # last', () => {
    expect(['esl/#', 'esl/+/x', 'esl//x', 'esl'].map(validFilter)).toEqual([true, true, true, true]);
    expect(['esl/#/x', 'esl/a#', 'esl/a+', '', 'esl/\u0000'].map(validFilter)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('access policies', () => {
  it('grant each action its own filters, and a damaged stored value grants nothing', () => {
    const g = grantsOf([
      { actions: ['publish'], topics: ['esl/up/#'] },
      { actions: ['publish', 'subscribe'], topics: ['esl/both/+'] },
    ]);
    expect(mayPublish(g, 'esl/up/x/y')).toBe(true);
    expect(maySubscribe(g, 'esl/up/#')).toBe(false);
    expect(maySubscribe(g, 'esl/both/x')).toBe(true);
    expect(mayPublish(g, 'esl/other')).toBe(false);
    expect(
      parsePolicies(JSON.stringify([{ actions: ['publish', 'delete'], topics: ['esl/#', 'bad/#/x'] }])),
    ).toEqual([{ actions: ['publish'], topics: ['esl/#'] }]);
    expect(parsePolicies('{not json')).toEqual([]);
    expect(parsePolicies(null)).toEqual([]);
  });
});
