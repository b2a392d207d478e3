// Roles and permissions shared by every API (camera v1, messaging, hubs, UI).

export const ROLES = ['admin', 'operator', 'viewer', 'guest'] as const
export type Role = (typeof ROLES)[number]

/** Permission names follow the camera device's model (Device_*, Media_*) plus Pitwall's own areas. */
export const PERMISSIONS = [
  'Device_r',
  'Device_rw',
  'Media_r',
  'Media_rw',
  'Timing_r',
  'Timing_rw',
  'Messages_r',
  'Messages_rw',
  'User_r',
  'User_rw',
  'System_r',
  'System_rw',
] as const
export type Permission = (typeof PERMISSIONS)[number]

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  operator: ['Device_r', 'Device_rw', 'Media_r', 'Media_rw', 'Timing_r', 'Timing_rw', 'Messages_r', 'Messages_rw', 'System_r'],
  viewer: ['Device_r', 'Media_r', 'Timing_r', 'Messages_r', 'System_r'],
  guest: [],
}

/** Who is on the other end of a connection. Anonymous connections have role 'guest' and no username. */
export interface Principal {
  username: string | null
  role: Role
  /** Session id of the login token, when authenticated by one. */
  sid?: string
}

export const ANONYMOUS: Principal = Object.freeze({ username: null, role: 'guest' as const })
export const LOCAL_ADMIN: Principal = Object.freeze({ username: 'local', role: 'admin' as const })

export function permissionsOf(p: Principal, anonymousRead: boolean): Permission[] {
  if (p.username === null) return anonymousRead ? ['Device_r', 'Media_r', 'Timing_r', 'Messages_r', 'System_r'] : []
  return [...ROLE_PERMISSIONS[p.role]]
}

export function can(p: Principal, perm: Permission, anonymousRead = true): boolean {
  return permissionsOf(p, anonymousRead).includes(perm)
}
