// The admin pages' text form of access policies: one policy a line, its actions then its topic
// filters, e.g. `publish,subscribe esl/sensors/#` or `subscribe esl/cmd/+ esl/cfg/#`. The REST
// API takes the JSON form; the service validates both the same way.
import type { Policy } from '../../broker/index.js';

export function policiesFromText(text: unknown): { actions: string[]; topics: string[] }[] {
  return String(text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/).filter(Boolean))
    .filter((words) => words.length)
    .map(([actions, ...topics]) => ({ actions: actions.split(/[,+]/).filter(Boolean), topics }));
}

export const policiesToText = (policies: Policy[]) =>
  policies.map((p) => `${p.actions.join(',')} ${p.topics.join(' ')}`).join('\n');
