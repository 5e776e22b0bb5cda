// SVG -> PNG with resvg. No fonts are loaded (text arrives as outlines) and system fonts are
// off, so nothing of the host enters the image; crisp edges keep the panel's exact colours.
import crypto from 'node:crypto';
import { Resvg } from '@resvg/resvg-js';

export function rasterise(svg: string): Buffer {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: false },
    shapeRendering: 1,
    textRendering: 0,
    imageRendering: 1,
    fitTo: { mode: 'original' },
  });
  return r.render().asPng();
}

export const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || png.toString('latin1', 1, 4) !== 'PNG' || png.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
