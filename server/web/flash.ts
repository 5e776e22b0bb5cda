import type { Request } from 'express';

/** A message shown once on the next page; an English text is translated there when the catalogue knows it. */
export function flash(req: Request, type: 'ok' | 'info' | 'error', text: string) {
  const list = (req.session.flash ??= []);
  list.push({ type, text });
}

/** A message shown once on the next page, by catalogue key, in the language of that page. */
export function flashKey(
  req: Request,
  type: 'ok' | 'info' | 'error',
  key: string,
  values?: Record<string, unknown>,
) {
  const list = (req.session.flash ??= []);
  list.push({ type, text: key, key, values });
}
