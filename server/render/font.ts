// The label font: Noto Sans Hans (SIL OFL 1.1, every GB2312 hanzi, Latin, digits, ¥ € $),
// shipped by the @embedpdf/fonts-sc package as OTF. Text is laid out here with fontkit and
// emitted as SVG paths, so the rasteriser needs no font and never falls back to the host's:
// the same text gives the same outline on every machine.
import path from 'node:path';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';

export type FontWeight = 'regular' | 'bold';

const FILES: Record<FontWeight, string> = {
  regular: 'NotoSansHans-Regular.otf',
  bold: 'NotoSansHans-Bold.otf',
};

let loaded: Record<FontWeight, fontkit.Font> | null = null;

function fontDir() {
  const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
  return path.join(path.dirname(entry), '..', 'fonts');
}

export function fonts(): Record<FontWeight, fontkit.Font> {
  if (!loaded) {
    const dir = fontDir();
    const open = (w: FontWeight) => {
      const f = fontkit.openSync(path.join(dir, FILES[w]));
      if (!('layout' in f)) throw new Error(`${FILES[w]} is a font collection, not a font`);
      return f as fontkit.Font;
    };
    loaded = { regular: open('regular'), bold: open('bold') };
  }
  return loaded;
}

/** The characters of `text` the font has no glyph for (whitespace and controls aside). */
export function missingGlyphs(text: string, weight: FontWeight = 'regular'): string[] {
  const f = fonts()[weight];
  const out: string[] = [];
  for (const ch of text) {
    if (/\s/u.test(ch)) continue;
    if (!f.hasGlyphForCodePoint(ch.codePointAt(0)!) && !out.includes(ch)) out.push(ch);
  }
  return out;
}

export const describeChar = (ch: string) =>
  `"${ch}" (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;

export interface TextRun {
  /** advance width in pixels at `size` */
  width: number;
  /** font units per pixel: the outline is drawn in font units scaled by size / unitsPerEm */
  scale: number;
  /** glyphs of the line: the id of its outline (see glyphOutline) and its origin in font units */
  glyphs: { id: string; x: number; y: number }[];
}

const outlines = new Map<string, string>();

/** A glyph's outline as SVG path data in font units, y up (cached: each glyph is built once). */
export function glyphOutline(id: string): string {
  return outlines.get(id)!;
}

/** Lays out one line of text at `size` px; glyph origins are relative to (0, baseline). */
export function layoutLine(text: string, size: number, weight: FontWeight): TextRun {
  const f = fonts()[weight];
  const run = f.layout(text);
  let x = 0;
  const glyphs: TextRun['glyphs'] = [];
  run.glyphs.forEach((g, i) => {
    const p = run.positions[i];
    if (g.path.commands.length) {
      const id = `${weight === 'bold' ? 'b' : 'r'}${g.id}`;
      if (!outlines.has(id))
        outlines.set(
          id,
          g.path.toSVG().replace(/-?\d+\.\d+/g, (n) => String(Math.round(Number(n)))),
        );
      glyphs.push({ id, x: Math.round(x + p.xOffset), y: Math.round(p.yOffset) });
    }
    x += p.xAdvance;
  });
  return { width: (x * size) / f.unitsPerEm, scale: size / f.unitsPerEm, glyphs };
}

/** Width of one line without building its outline. */
export function measure(text: string, size: number, weight: FontWeight): number {
  const f = fonts()[weight];
  return (f.layout(text).advanceWidth * size) / f.unitsPerEm;
}

/** Ascent and descent at `size` (px, both positive) for vertical placement. */
export function metrics(size: number, weight: FontWeight) {
  const f = fonts()[weight];
  return { ascent: (f.ascent * size) / f.unitsPerEm, descent: (-f.descent * size) / f.unitsPerEm };
}
