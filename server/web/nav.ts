import type { UserRole } from '../core/identity.js';

export interface NavItem {
  href: string;
  label: string;
  roles: UserRole[];
}

/** The navigation. Domains add entries here; the server still checks roles on every route. */
export const NAV: NavItem[] = [
  { href: '/', label: 'Dashboard', roles: ['admin', 'operator', 'auditor'] },
  { href: '/admin/users', label: 'Users', roles: ['admin'] },
  { href: '/admin/api-keys', label: 'API keys', roles: ['admin'] },
  { href: '/admin/mqtt', label: 'MQTT instance', roles: ['admin'] },
  { href: '/admin/mqtt/credentials', label: 'MQTT credentials', roles: ['admin'] },
  { href: '/audit', label: 'Audit', roles: ['admin', 'auditor'] },
  { href: '/catalog/products', label: 'Products', roles: ['admin', 'operator', 'auditor'] },
  { href: '/catalog/imports', label: 'Import prices', roles: ['admin', 'operator'] },
  { href: '/catalog/schedules', label: 'Schedules', roles: ['admin', 'operator', 'auditor'] },
  { href: '/catalog/labels', label: 'Labels', roles: ['admin', 'operator', 'auditor'] },
  { href: '/catalog/stores', label: 'Stores', roles: ['admin', 'operator', 'auditor'] },
  { href: '/tasks', label: 'Tasks', roles: ['admin', 'operator', 'auditor'] },
  { href: '/devices/aps', label: 'APs', roles: ['admin', 'operator', 'auditor'] },
  { href: '/devices/mismatches', label: 'Mismatches', roles: ['admin', 'operator', 'auditor'] },
];

export function navFor(role: UserRole | undefined): NavItem[] {
  return role ? NAV.filter((n) => n.roles.includes(role)) : [];
}
