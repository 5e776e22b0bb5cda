// Barcodes and QR codes with bwip-js, placed in a template box with whole-pixel modules
// (an e-paper panel has no grey: a module of 1.5 px would smear).
import bwipjs from 'bwip-js/node';

export type Symbology = 'ean13' | 'code128';

export class BarcodeError extends Error {
  override name = 'BarcodeError';
}

const PT_PER_MM = 72 / 25.4;

function toSvg(opts: Parameters<typeof bwipjs.toSVG>[0]) {
  let svg: string;
  try {
    svg = bwipjs.toSVG(opts);
  } catch (err) {
    const msg = String((err as Error).message ?? err).replace(/^bwipp\.\w+#\d+:\s*/, '');
    throw new BarcodeError(msg);
  }
  const m = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"[^>]*>([\s\S]*)<\/svg>\s*$/.exec(svg);
  if (!m) throw new BarcodeError('unexpected barcode output');
  return { width: Number(m[1]), height: Number(m[2]), inner: m[3] };
}

/** A valid EAN-13 (13 digits, right check digit) is drawn as EAN-13, anything else as Code 128. */
export function pickSymbology(value: string): Symbology {
  if (!/^\d{13}$/.test(value)) return 'code128';
  const d = [...value].map(Number);
  const sum = d.slice(0, 12).reduce((s, n, i) => s + n * (i % 2 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === d[12] ? 'ean13' : 'code128';
}

const place = (x: number, y: number, g: { width: number; height: number; inner: string }, colour: string) =>
  `<svg x="${x}" y="${y}" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}">` +
  g.inner.replace(/#000000/g, colour) +
  '</svg>';

// Width in modules (at scale 1) and text height per value shape, see drawBarcode.
const widths = new Map<string, { width1: number; textPx: number }>();

// A price change redraws labels whose barcode has not changed: keep the last few thousand.
const drawn = new Map<string, string>();
const DRAWN_MAX = 2000;

export function barcodeSvg(
  sym: Symbology,
  value: string,
  box: { x: number; y: number; w: number; h: number },
  showText: boolean,
  colour: string,
): string {
  const key = JSON.stringify([sym, value, box.x, box.y, box.w, box.h, showText, colour]);
  const hit = drawn.get(key);
  if (hit) return hit;
  const svg = drawBarcode(sym, value, box, showText, colour);
  drawn.set(key, svg);
  if (drawn.size > DRAWN_MAX) drawn.delete(drawn.keys().next().value!);
  return svg;
}

function drawBarcode(
  sym: Symbology,
  value: string,
  box: { x: number; y: number; w: number; h: number },
  showText: boolean,
  colour: string,
): string {
  if (!value) throw new BarcodeError('the value is empty');
  if (sym === 'code128' && !/^[\x20-\x7e]+$/.test(value))
    throw new BarcodeError(`Code 128 takes printable ASCII only, not "${value.slice(0, 40)}"`);
  const base = { bcid: sym, text: value, includetext: showText, textxalign: 'center' as const };
  const fit = (width1: number, textPx: number) => {
    let m = Math.floor(box.w / width1);
    if (m < 1) throw new BarcodeError(`needs ${Math.ceil(width1)} px of width, the box has ${box.w}`);
    let barMm = 0;
    for (; m >= 1; m--) {
      barMm = Math.floor(((box.h / m - textPx) / PT_PER_MM) * 10) / 10;
      if (barMm >= 3 || m === 1) break;
    }
    if (barMm < 1) throw new BarcodeError(`the box is too short (${box.h} px) for the bars and their text`);
    return { m, barMm };
  };
  // Values of one shape (digits and other characters at the same places) have the same width in
  // modules, so a known shape saves the measuring call. The result is checked: a width other than
  // the shape's falls back to measuring, so the image never depends on what was drawn before.
  const shape = `${sym}|${showText}|${value.replace(/\d/g, '0').replace(/[^0]/g, 'x')}`;
  const known = widths.get(shape);
  let g: ReturnType<typeof toSvg> | null = null;
  if (known) {
    const { m, barMm } = fit(known.width1, known.textPx);
    const guess = toSvg({ ...base, scale: m, height: barMm });
    if (guess.width === known.width1 * m) g = guess;
  }
  if (!g) {
    const probe = toSvg({ ...base, scale: 1, height: 10 });
    const textPx = probe.height - 10 * PT_PER_MM;
    widths.set(shape, { width1: probe.width, textPx });
    if (widths.size > 1000) widths.delete(widths.keys().next().value!);
    const { m, barMm } = fit(probe.width, textPx);
    g = toSvg({ ...base, scale: m, height: barMm });
  }
  if (g.width > box.w || g.height > box.h)
    throw new BarcodeError(`needs ${g.width} x ${g.height} px, the box has ${box.w} x ${box.h}`);
  return place(
    box.x + Math.floor((box.w - g.width) / 2),
    box.y + Math.floor((box.h - g.height) / 2),
    g,
    colour,
  );
}

export function qrSvg(value: string, box: { x: number; y: number; w: number; h: number }, colour: string) {
  // bwip-js's QR encoder is the costliest part of a label: a value drawn in the same box is reused.
  const key = JSON.stringify(['qr', value, box.x, box.y, box.w, box.h, colour]);
  const hit = drawn.get(key);
  if (hit) return hit;
  const svg = drawQr(value, box, colour);
  drawn.set(key, svg);
  if (drawn.size > DRAWN_MAX) drawn.delete(drawn.keys().next().value!);
  return svg;
}

function drawQr(value: string, box: { x: number; y: number; w: number; h: number }, colour: string) {
  if (!value) throw new BarcodeError('the value is empty');
  const side = Math.min(box.w, box.h);
  // As for barcodes: values of one shape (length and kinds of characters at each place) give
  // symbols of one size, so a known shape saves the measuring call; a size other than the
  // shape's falls back to measuring, so the image never depends on what was drawn before.
  const shape = `qr|${value
    .replace(/\d/g, '0')
    .replace(/[A-Z $%*+\-./:]/g, 'A')
    .replace(/[^0A]/g, 'x')}`;
  const known = widths.get(shape);
  let g: ReturnType<typeof toSvg> | null = null;
  if (known && Math.floor(side / known.width1) >= 1) {
    const m = Math.floor(side / known.width1);
    const guess = toSvg({ bcid: 'qrcode', text: value, scale: m });
    if (guess.width === known.width1 * m) g = guess;
  }
  if (!g) {
    const probe = toSvg({ bcid: 'qrcode', text: value, scale: 1 });
    widths.set(shape, { width1: probe.width, textPx: 0 });
    if (widths.size > 1000) widths.delete(widths.keys().next().value!);
    const m = Math.floor(side / probe.width);
    if (m < 1) throw new BarcodeError(`needs ${probe.width} px, the box has ${side}`);
    g = toSvg({ bcid: 'qrcode', text: value, scale: m });
  }
  return place(
    box.x + Math.floor((box.w - g.width) / 2),
    box.y + Math.floor((box.h - g.height) / 2),
    g,
    colour,
  );
}
