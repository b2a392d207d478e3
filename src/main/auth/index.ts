import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { SignJWT, jwtVerify } from 'jose'
import { z } from 'zod'
import { ROLES, type Principal, type Role } from '../../shared/auth.ts'
import type { Logger } from '../log/index.ts'
import type { Store } from '../store/index.ts'

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>

export const usernameSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'username: 1-64 letters, digits, . _ -')
export const passwordSchema = z.string().min(8, 'password: at least 8 characters').max(256)
export const credentialsSchema = z.object({ username: z.string().max(64), password: z.string().max(256) }).strict()
export const newUserSchema = z.object({ username: usernameSchema, password: passwordSchema, role: z.enum(ROLES) }).strict()

/** sessions.ended: 1 = logged out (or all of a user's sessions ended), 2 = idle past sessionIdleMinutes. */
const ENDED_LOGOUT = 1
const ENDED_IDLE = 2

export type AuthErrorCode = 'invalid_credentials' | 'throttled' | 'invalid_token' | 'expired_token' | 'not_found' | 'conflict' | 'last_admin'

export class AuthError extends Error {
  override name = 'AuthError'
  readonly code: AuthErrorCode
  readonly retryAfterMs?: number
  constructor(code: AuthErrorCode, message: string, retryAfterMs?: number) {
    super(message)
    this.code = code
    this.retryAfterMs = retryAfterMs
  }
}

export interface LoginResult {
  token: string
  /** When the session ends if it is not used (ms since epoch). */
  expiresAt: number
  user: { username: string; role: Role }
}

export interface UserRecord {
  username: string
  role: Role
  createdAt: number
}

/** A user as stored, hash included: what instances on one backplane exchange to share users. */
export interface StoredUser extends UserRecord {
  hash: string
  tokenVersion: number
}

export type UserChange = { kind: 'upsert'; user: StoredUser } | { kind: 'delete'; username: string }

const THROTTLE_WINDOW_MS = 15 * 60_000
const THROTTLE_MAX = 5
/** A token is never valid longer than this, however often it is used. */
const MAX_TOKEN_LIFETIME_S = 12 * 3600
const SCRYPT = { N: 16384, r: 8, p: 1 }

/**
 * Users, password hashes (scrypt), login tokens (HS256 JWT) and sessions with a sliding idle timeout.
 * Every API (UI, camera v1, messaging, SignalR hubs) verifies tokens here.
 */
export class Auth {
  #store: Store
  #log: Logger
  #key!: Uint8Array
  #idleMs: number
  /** sid → last use (ms). Idle sessions are refused and forgotten. */
  #sessions = new Map<string, { username: string; lastSeen: number; persistedAt: number }>()
  #failures = new Map<string, number[]>()
  #firstRunPassword: string | undefined
  /** Told about every local user change (the backplane shares them with other instances). */
  onUserChange: ((change: UserChange) => void) | undefined

  constructor(store: Store, opts: { idleMinutes: number; secret?: string; log: Logger }) {
    this.#store = store
    this.#log = opts.log.child({ area: 'auth' })
    this.#idleMs = opts.idleMinutes * 60_000
    store.migrate('auth', [
      `CREATE TABLE users (username TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL, hash TEXT NOT NULL, created_at INTEGER NOT NULL);
       CREATE TABLE sessions (sid TEXT PRIMARY KEY, username TEXT NOT NULL, last_seen INTEGER NOT NULL);`,
      // Logged-out sessions are kept (ended = 1) until their tokens could no longer be valid anyway;
      // token_version is signed into each token; bumping it (password or role change) ends every older token.
      `ALTER TABLE sessions ADD COLUMN ended INTEGER NOT NULL DEFAULT 0;
       ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;`,
    ])
    let secret = opts.secret
    if (!secret) {
      secret = store.getSetting<string>('auth.tokenSecret')
      if (!secret) {
        secret = randomBytes(32).toString('base64url')
        store.setSetting('auth.tokenSecret', secret)
      }
    }
    this.#key = new TextEncoder().encode(secret)
    const now = Date.now()
    for (const row of store.prepare('SELECT sid, username, last_seen FROM sessions WHERE ended = 0').all() as { sid: string; username: string; last_seen: number }[]) {
      if (now - row.last_seen < this.#idleMs) this.#sessions.set(row.sid, { username: row.username, lastSeen: row.last_seen, persistedAt: row.last_seen })
    }
    store.prepare('DELETE FROM sessions WHERE last_seen < ?').run(now - Math.max(this.#idleMs, MAX_TOKEN_LIFETIME_S * 1000))
  }

  /**
   * First run: creates `admin` with the given password or a generated one.
   * Returns the generated password (to be shown once), or undefined when nothing was generated.
   */
  async ensureAdmin(password?: string): Promise<string | undefined> {
    const count = (this.#store.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n
    if (count > 0) return undefined
    const generated = password ? undefined : generatePassword()
    await this.createUser({ username: 'admin', password: password ?? generated!, role: 'admin' })
    this.#firstRunPassword = generated
    return generated
  }

  /** The generated first-run password, once; later calls return undefined. */
  takeFirstRunPassword(): string | undefined {
    const p = this.#firstRunPassword
    this.#firstRunPassword = undefined
    return p
  }

  get firstRunPending(): boolean {
    return this.#firstRunPassword !== undefined
  }

  async login(username: string, password: string, address = 'unknown'): Promise<LoginResult> {
    const keys = [`u:${username.toLowerCase()}`, `a:${address}`]
    const wait = Math.max(...keys.map((k) => this.#throttledFor(k)))
    if (wait > 0) throw new AuthError('throttled', `Too many failed logins; retry in ${Math.ceil(wait / 1000)} s`, wait)
    const row = this.#store.prepare('SELECT username, role, hash FROM users WHERE username = ?').get(username) as
      | { username: string; role: Role; hash: string }
      | undefined
    const ok = row ? await verifyPassword(password, row.hash) : (await hashPassword(password), false) // same cost either way
    if (!ok || !row) {
      for (const k of keys) this.#fail(k)
      this.#log.warn({ username, address }, 'failed login')
      throw new AuthError('invalid_credentials', 'Authentication failed')
    }
    for (const k of keys) this.#failures.delete(k)
    return this.issue(row.username, row.role)
  }

  /** Issues a session token for a known user (login, or trusted local callers). */
  async issue(username: string, role: Role): Promise<LoginResult> {
    const sid = randomUUID()
    const now = Date.now()
    this.#sessions.set(sid, { username, lastSeen: now, persistedAt: now })
    this.#store.prepare('INSERT INTO sessions(sid, username, last_seen) VALUES (?, ?, ?)').run(sid, username, now)
    const { token_version: ver } = this.#store.prepare('SELECT token_version FROM users WHERE username = ?').get(username) as { token_version: number }
    const token = await new SignJWT({ role, sid, ver })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(username)
      .setIssuer('pitwall')
      .setIssuedAt()
      .setExpirationTime(Math.floor(now / 1000) + MAX_TOKEN_LIFETIME_S)
      .sign(this.#key)
    return { token, expiresAt: now + this.#idleMs, user: { username, role } }
  }

  /** Checks a token and touches its session. Throws AuthError('invalid_token' | 'expired_token'). */
  async verify(token: string): Promise<Principal & { exp: number }> {
    let payload
    try {
      ;({ payload } = await jwtVerify(token, this.#key, { issuer: 'pitwall', algorithms: ['HS256'] }))
    } catch (err) {
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED'
      throw new AuthError(expired ? 'expired_token' : 'invalid_token', expired ? 'Token expired' : 'Invalid token')
    }
    const sid = typeof payload.sid === 'string' ? payload.sid : ''
    const username = payload.sub ?? ''
    const user = this.#store.prepare('SELECT role, token_version FROM users WHERE username = ?').get(username) as { role: Role; token_version: number } | undefined
    if (!user) throw new AuthError('invalid_token', 'Invalid token')
    if ((payload.ver ?? 0) !== user.token_version) throw new AuthError('expired_token', 'Session ended: the password or role changed')
    const now = Date.now()
    let session = this.#sessions.get(sid)
    if (!session) {
      // Issued by another instance on the same backplane (shared secret), or before a restart.
      const row = this.#store.prepare('SELECT last_seen, ended FROM sessions WHERE sid = ?').get(sid) as { last_seen: number; ended: number } | undefined
      if (row?.ended) throw new AuthError('expired_token', row.ended === ENDED_IDLE ? 'Session expired' : 'Session ended (logged out)')
      if (row && now - row.last_seen >= this.#idleMs) throw new AuthError('expired_token', 'Session expired')
      if (!row && (payload.iat ?? 0) * 1000 < now - this.#idleMs) throw new AuthError('expired_token', 'Session expired')
      session = { username, lastSeen: now, persistedAt: 0 }
      this.#sessions.set(sid, session)
    }
    if (now - session.lastSeen >= this.#idleMs) {
      this.#endSession(sid, ENDED_IDLE)
      throw new AuthError('expired_token', 'Session expired')
    }
    this.touch(sid, now)
    return { username, role: user.role, sid, exp: payload.exp! * 1000 }
  }

  /** Keeps a session alive while its connection is used. */
  touch(sid: string, now = Date.now()): void {
    const s = this.#sessions.get(sid)
    if (!s) return
    s.lastSeen = now
    if (now - s.persistedAt > 60_000) {
      s.persistedAt = now
      this.#store.prepare('INSERT INTO sessions(sid, username, last_seen) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET last_seen = excluded.last_seen').run(sid, s.username, now)
    }
  }

  /** Whether a session is still alive (not logged out, not idle). */
  sessionAlive(sid: string): boolean {
    const s = this.#sessions.get(sid)
    return !!s && Date.now() - s.lastSeen < this.#idleMs
  }

  /** When the session ends if left idle. */
  sessionExpiresAt(sid: string): number | undefined {
    const s = this.#sessions.get(sid)
    return s ? s.lastSeen + this.#idleMs : undefined
  }

  async logout(token: string): Promise<void> {
    const p = await this.verify(token)
    if (p.sid) this.#endSession(p.sid)
  }

  #endSession(sid: string, why: number = ENDED_LOGOUT): void {
    const s = this.#sessions.get(sid)
    this.#sessions.delete(sid)
    this.#store
      .prepare('INSERT INTO sessions(sid, username, last_seen, ended) VALUES (?, ?, ?, ?) ON CONFLICT(sid) DO UPDATE SET ended = excluded.ended')
      .run(sid, s?.username ?? '', Date.now(), why)
  }

  listUsers(): UserRecord[] {
    return (this.#store.prepare('SELECT username, role, created_at FROM users ORDER BY username').all() as { username: string; role: Role; created_at: number }[]).map((r) => ({
      username: r.username,
      role: r.role,
      createdAt: r.created_at,
    }))
  }

  /** Creates a user, or updates the password/role of an existing one when `upsert` is set. */
  async createUser(input: unknown, upsert = false): Promise<UserRecord> {
    const u = newUserSchema.parse(input)
    const exists = this.#store.prepare('SELECT 1 FROM users WHERE username = ?').get(u.username)
    if (exists && !upsert) throw new AuthError('conflict', `User ${u.username} already exists`)
    if (exists && u.role !== 'admin') this.#assertNotLastAdmin(u.username)
    const hash = await hashPassword(u.password)
    const now = Date.now()
    this.#store
      .prepare('INSERT INTO users(username, role, hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET role = excluded.role, hash = excluded.hash')
      .run(u.username, u.role, hash, now)
    if (exists) this.#endUserSessions(u.username) // a password or role change ends the user's sessions
    this.onUserChange?.({ kind: 'upsert', user: this.storedUser(u.username)! })
    return { username: u.username, role: u.role, createdAt: now }
  }

  deleteUser(username: string): void {
    const exists = this.#store.prepare('SELECT 1 FROM users WHERE username = ?').get(username)
    if (!exists) throw new AuthError('not_found', `No user ${username}`)
    this.#assertNotLastAdmin(username)
    this.#store.prepare('DELETE FROM users WHERE username = ?').run(username)
    this.#endUserSessions(username)
    this.onUserChange?.({ kind: 'delete', username })
  }

  storedUser(username: string): StoredUser | undefined {
    const r = this.#store.prepare('SELECT username, role, hash, created_at, token_version FROM users WHERE username = ?').get(username) as
      | { username: string; role: Role; hash: string; created_at: number; token_version: number }
      | undefined
    return r && { username: r.username, role: r.role, hash: r.hash, createdAt: r.created_at, tokenVersion: r.token_version }
  }

  storedUsers(): StoredUser[] {
    return this.listUsers().map((u) => this.storedUser(u.username)!)
  }

  /** Applies a change made on another instance (no onUserChange echo). */
  applyRemoteChange(change: UserChange): void {
    if (change.kind === 'delete') {
      this.#store.prepare('DELETE FROM users WHERE username = ?').run(change.username)
      for (const [sid, s] of this.#sessions) if (s.username.toLowerCase() === change.username.toLowerCase()) this.#sessions.delete(sid)
      return
    }
    const u = change.user
    if (!ROLES.includes(u.role) || !u.hash.startsWith('scrypt$')) return
    const before = this.storedUser(u.username)
    this.#store
      .prepare(
        'INSERT INTO users(username, role, hash, created_at, token_version) VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET role = excluded.role, hash = excluded.hash, token_version = excluded.token_version',
      )
      .run(u.username, u.role, u.hash, u.createdAt, u.tokenVersion)
    if (before && before.tokenVersion !== u.tokenVersion) {
      for (const [sid, s] of this.#sessions) if (s.username.toLowerCase() === u.username.toLowerCase()) this.#sessions.delete(sid)
    }
  }

  #assertNotLastAdmin(username: string): void {
    const admins = this.#store.prepare("SELECT username FROM users WHERE role = 'admin'").all() as { username: string }[]
    if (admins.length === 1 && admins[0]!.username.toLowerCase() === username.toLowerCase()) throw new AuthError('last_admin', 'Cannot remove the last admin')
  }

  #endUserSessions(username: string): void {
    for (const [sid, s] of this.#sessions) if (s.username.toLowerCase() === username.toLowerCase()) this.#sessions.delete(sid)
    this.#store.prepare('UPDATE sessions SET ended = 1 WHERE username = ?').run(username)
    this.#store.prepare('UPDATE users SET token_version = token_version + 1 WHERE username = ?').run(username)
  }

  #throttledFor(key: string): number {
    const now = Date.now()
    const list = (this.#failures.get(key) ?? []).filter((t) => now - t < THROTTLE_WINDOW_MS)
    if (list.length) this.#failures.set(key, list)
    else this.#failures.delete(key)
    return list.length >= THROTTLE_MAX ? list[0]! + THROTTLE_WINDOW_MS - now : 0
  }

  #fail(key: string): void {
    const list = this.#failures.get(key) ?? []
    list.push(Date.now())
    if (list.length > THROTTLE_MAX) list.shift()
    this.#failures.set(key, list)
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!) // bounded under a flood
  }
}

export function generatePassword(): string {
  // 15 chars from an unambiguous alphabet, grouped for reading aloud: xxxxx-xxxxx-xxxxx
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
  const bytes = randomBytes(15)
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length])
  return `${chars.slice(0, 5).join('')}-${chars.slice(5, 10).join('')}-${chars.slice(10).join('')}`
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scrypt(password, salt, 32, { ...SCRYPT, maxmem: 64 * 1024 * 1024 })
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$')
  if (kind !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 })
  return timingSafeEqual(actual, expected)
}
