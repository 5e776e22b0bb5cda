// Every page of the UI as a concrete URL over the live seed, and the check that the list is
// complete: each GET route Express serves that answers HTML must be visited or excused here.
import type { LiveData } from './live-seed.js';
import { matchesRoute, type Route } from './routes.js';

export function pageUrls(live: LiveData): string[] {
  const ap = encodeURIComponent(live.clientId);
  return [
    '/',
    '/tasks',
    '/tasks?stuck=1',
    `/tasks/${live.taskId}`,
    `/render/tasks/${live.taskId}`,
    '/alerts',
    '/alerts?state=all',
    '/alerts/rules',
    '/devices/aps',
    '/devices/mismatches',
    `/health/aps/${ap}`,
    '/health/labels',
    '/catalog/stores',
    `/catalog/stores/${live.storeId}`,
    '/catalog/schedules',
    '/catalog/products',
    `/catalog/products/${live.productId}`,
    '/catalog/labels',
    `/catalog/labels/${encodeURIComponent(live.labelId)}`,
    '/catalog/imports',
    live.importPath,
    '/render/templates',
    `/render/templates/new?model=${live.templateModel}`,
    `/render/templates/${live.templateId}`,
    '/admin/webhooks',
    `/admin/webhooks/${live.endpointId}`,
    `/admin/webhooks/${live.endpointId}/delete`,
    `/admin/webhooks/${live.endpointId}/deliveries/${live.deliveryUid}`,
    '/account/password',
    '/admin/users',
    '/admin/api-keys',
    '/admin/mqtt',
    '/admin/mqtt/credentials',
    '/audit',
    '/audit?actor=admin',
    `/audit/records/${live.auditId}`,
    '/audit/verify?fromId=1',
    // the aisle page, empty and showing a label (with a refused command), and the command list
    '/aisle',
    `/aisle?label=${encodeURIComponent(live.labelId)}`,
    '/commands',
    '/nosuchpage',
  ];
}

/** GET routes that are not pages a person reads in the app's layout, and why. */
export const NOT_PAGES: { test: (path: string) => boolean; why: string }[] = [
  { test: (p) => p.startsWith('/api/v1/'), why: 'the REST API (JSON), checked against the OpenAPI document' },
  {
    test: (p) => p === '/api/docs' || p.startsWith('/api/docs/'),
    why: 'Swagger UI, a packaged page of its own',
  },
  { test: (p) => p.startsWith('/static/'), why: 'files' },
  { test: (p) => /\.(json|csv|png|js|svg|ico)$/.test(p), why: 'data and images' },
  { test: (p) => p.endsWith('/events'), why: 'a live event stream' },
  { test: (p) => ['/healthz', '/readyz', '/metrics'].includes(p), why: 'probes' },
  { test: (p) => p === '/logout', why: 'a form target' },
];

/** GET page routes that no URL of the list visits. */
export function unvisitedPages(routes: Route[], urls: string[]): string[] {
  return routes
    .filter((r) => r.method === 'GET' && !NOT_PAGES.some((n) => n.test(r.path)))
    .filter((r) => r.path !== '/login')
    .filter((r) => !urls.some((u) => matchesRoute(r.path, u)))
    .map((r) => r.path);
}
