import type { Request } from 'express';

/** A message shown once on the next page. */
export function flash(req: Request, type: 'ok' | 'info' | 'error', text: string) {
  const list = (req.session.flash ??= []);
  list.push({ type, text });
}
