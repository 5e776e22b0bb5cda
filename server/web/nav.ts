import type { UserRole } from '../core/identity.js';

export interface NavItem {
  href: string;
  /** A key of the `ui` catalogue (server/i18n/locales); the header shows t(label). */
  label: string;
  roles: UserRole[];
}

/** The navigation. Domains add entries here; the server still checks roles on every route. */
export const NAV: NavItem[] = [
  { href: '/', label: 'nav.dashboard', roles: ['admin', 'operator', 'auditor'] },
  { href: '/admin/users', label: 'nav.users', roles: ['admin'] },
  { href: '/admin/api-keys', label: 'nav.apiKeys', roles: ['admin'] },
  { href: '/admin/webhooks', label: 'nav.webhooks', roles: ['admin'] },
  { href: '/admin/mqtt', label: 'nav.mqttInstance', roles: ['admin'] },
  { href: '/admin/mqtt/credentials', label: 'nav.mqttCredentials', roles: ['admin'] },
  { href: '/audit', label: 'nav.audit', roles: ['admin', 'auditor'] },
  { href: '/catalog/products', label: 'nav.products', roles: ['admin', 'operator', 'auditor'] },
  { href: '/catalog/imports', label: 'nav.imports', roles: ['admin', 'operator'] },
  { href: '/catalog/schedules', label: 'nav.schedules', roles: ['admin', 'operator', 'auditor'] },
  { href: '/catalog/labels', label: 'nav.labels', roles: ['admin', 'operator', 'auditor'] },
  { href: '/aisle', label: 'nav.aisle', roles: ['admin', 'operator'] },
  { href: '/render/templates', label: 'nav.templates', roles: ['admin', 'operator', 'auditor'] },
  { href: '/catalog/stores', label: 'nav.stores', roles: ['admin', 'operator', 'auditor'] },
  { href: '/tasks', label: 'nav.tasks', roles: ['admin', 'operator', 'auditor'] },
  { href: '/devices/aps', label: 'nav.aps', roles: ['admin', 'operator', 'auditor'] },
  { href: '/devices/mismatches', label: 'nav.mismatches', roles: ['admin', 'operator', 'auditor'] },
  { href: '/alerts', label: 'nav.alerts', roles: ['admin', 'operator', 'auditor'] },
];

export function navFor(role: UserRole | undefined): NavItem[] {
  return role ? NAV.filter((n) => n.roles.includes(role)) : [];
}
