// A label model: the e-paper panel's size in pixels, its colours and its number of pages.
import type { ColourSet } from './states.js';

export type { ColourSet };

export interface LabelModel {
  code: string;
  name: string;
  width: number;
  height: number;
  colours: ColourSet;
  pages: number;
}

/** The palette each colour name maps to on the panel (exact RGB, so images keep only these). */
export const PALETTE = { black: '#000000', white: '#ffffff', red: '#ff0000', yellow: '#ffff00' } as const;
