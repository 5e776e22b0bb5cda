// The REST API's contract: the OpenAPI document of /api/v1, built from the schemas the
// domains' API routes validate with, served at /api/v1/openapi.json.
import type { DomainModule } from '../core/module.js';
import { openApiRoutes } from './openapi.js';

export function createApiModule(): DomainModule {
  return { name: 'api', services: [], routes: [openApiRoutes()], ports: {} };
}
