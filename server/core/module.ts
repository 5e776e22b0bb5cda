import type { Router } from 'express';
import type { Service } from './lifecycle.js';

/** Mounts one domain's pages or API routes on the web app. */
export type RouteMount = (app: Router) => void;

/**
 * What every domain's `module.ts` factory returns: its long-lived services (for the roles this
 * process runs), its web routes (mounted when the web role runs) and the ports other domains use.
 * `server/platform.ts` composes the modules in one place, in one reading order.
 */
export interface DomainModule<Ports extends object = Record<string, never>> {
  readonly name: string;
  services: Service[];
  routes: RouteMount[];
  ports: Ports;
}
