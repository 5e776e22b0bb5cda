// The closed lists of the rendering tables, declared once; migrations/010_render.sql checks the
// same values (test/db/check-constraints.test.ts compares the two).

/** The colours a label model's panel shows (`label_models.colours`). */
export const COLOUR_SETS = ['bw', 'bwr', 'bwy'] as const;
export type ColourSet = (typeof COLOUR_SETS)[number];

/** The worker's progress on one task (`render_task_progress.state`). */
export const RENDER_PROGRESS_STATES = ['pending', 'done', 'skipped'] as const;
export type RenderProgressState = (typeof RENDER_PROGRESS_STATES)[number];
