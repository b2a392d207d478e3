import { describe, expect, it, vi } from 'vitest'
import { Auth, AuthError, generatePassword, hashPassword, verifyPassword } from '../../../src/main/auth/index.ts'
import { silentLogger } from '../../../src/main/log/index.ts'
import { Store } from '../../../src/main/store/index.ts'

const make = (idleMinutes = 30) => {
  const store = new Store(':memory:', silentLogger())
  return { store, auth: new Auth(store, { idleMinutes, log: silentLogger() }) }
}

describe('auth', () => {
  it('generates a first-run admin password, stores only a hash, and never again', async () => {
    const { store, auth } = make()
    const pw = await auth.ensureAdmin()
    expect(pw).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}$/)
    const row = store.prepare('SELECT hash FROM users WHERE username = ?').get('admin') as { hash: string }
    expect(row.hash).toMatch(/^scrypt\$/)
    expect(row.hash).not.toContain(pw)
    expect(await auth.ensureAdmin()).toBeUndefined()
    expect((await auth.login('admin', pw!)).user).toEqual({ username: 'admin', role: 'admin' })
  })

  it('uses a given admin password instead of generating one', async () => {
    const { auth } = make()
    expect(await auth.ensureAdmin('unattended-pw')).toBeUndefined()
    await expect(auth.login('admin', 'unattended-pw')).resolves.toHaveProperty('token')
  })

  it('issues tokens every API verifies, and logout ends them', async () => {
    const { auth } = make()
    await auth.ensureAdmin('admin-password')
    await auth.createUser({ username: 'eng', password: 'engineer-pw', role: 'operator' })
    const { token, expiresAt } = await auth.login('eng', 'engineer-pw', '10.0.0.2')
    expect(expiresAt).toBeGreaterThan(Date.now() + 29 * 60_000)
    const p = await auth.verify(token)
    expect(p).toMatchObject({ username: 'eng', role: 'operator' })
    await auth.logout(token)
    await expect(auth.verify(token)).rejects.toMatchObject({ code: 'expired_token' })
    await expect(auth.verify(token.slice(0, -3) + 'abc')).rejects.toMatchObject({ code: 'invalid_token' })
  })

  it('an idle session says "Session expired" every time, not "logged out" (found by test/security/auth.test.ts)', async () => {
    const { auth } = make(1)
    await auth.ensureAdmin('admin-password')
    const { token } = await auth.login('admin', 'admin-password')
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
    try {
      await expect(auth.verify(token)).rejects.toMatchObject({ code: 'expired_token', message: 'Session expired' })
      await expect(auth.verify(token)).rejects.toMatchObject({ code: 'expired_token', message: 'Session expired' })
    } finally {
      vi.useRealTimers()
    }
    const other = await auth.login('admin', 'admin-password')
    await auth.logout(other.token)
    await expect(auth.verify(other.token)).rejects.toMatchObject({ message: 'Session ended (logged out)' })
  })

  it('throttles after 5 failures for a user or an address, saying when to retry', async () => {
    const { auth } = make()
    await auth.ensureAdmin('admin-password')
    for (let i = 0; i < 5; i++) await expect(auth.login('admin', 'wrong-pw', '10.0.0.9')).rejects.toMatchObject({ code: 'invalid_credentials' })
    const err = await auth.login('admin', 'admin-password', '10.0.0.9').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect((err as AuthError).code).toBe('throttled')
    expect((err as AuthError).retryAfterMs).toBeGreaterThan(14 * 60_000)
    expect((err as AuthError).message).toMatch(/retry in \d+ s/)
  })

  it('refuses to delete the last admin and ends sessions on password change', async () => {
    const { auth } = make()
    await auth.ensureAdmin('admin-password')
    expect(() => auth.deleteUser('admin')).toThrow(/last admin/)
    const { token } = await auth.login('admin', 'admin-password')
    await auth.createUser({ username: 'admin', password: 'new-password', role: 'admin' }, true)
    await expect(auth.verify(token)).rejects.toBeInstanceOf(AuthError)
    await expect(auth.createUser({ username: 'bad name', password: 'x', role: 'viewer' })).rejects.toThrow()
  })

  it('hashes with scrypt and random salt', async () => {
    const a = await hashPassword('same')
    const b = await hashPassword('same')
    expect(a).not.toBe(b)
    expect(await verifyPassword('same', a)).toBe(true)
    expect(await verifyPassword('other', a)).toBe(false)
    expect(new Set(Array.from({ length: 20 }, generatePassword)).size).toBe(20)
  })
})
