import type { UserRole } from '../auth/roles.js';

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
];

export function navFor(role: UserRole | undefined): NavItem[] {
  return role ? NAV.filter((n) => n.roles.includes(role)) : [];
}
