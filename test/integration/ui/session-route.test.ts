import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'

// GET /api/session: how the web UI tells an ended login from a server that is down.

let core: Core
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pitwall-session-'))
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: dir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }))
})
afterAll(async () => {
  await core.stop()
  rmSync(dir, { recursive: true, force: true })
})

const session = (headers: Record<string, string> = {}) => fetch(`${core.url}/api/session`, { headers })

describe('GET /api/session', () => {
  it('answers the user of a live token', async () => {
    const { token } = (await (await fetch(`${core.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'test-admin-pw' }) })).json()) as { token: string }
    const res = await session({ authorization: `Bearer ${token}` })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user: { username: 'admin', role: 'admin' } })
    // After logout the same token is refused: that is what the web UI asks about.
    await fetch(`${core.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    expect((await session({ authorization: `Bearer ${token}` })).status).toBe(401)
  })

  it.each([
    ['no token', {}],
    ['a malformed token', { authorization: 'Bearer not-a-jwt' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('401 with a JSON error for %s', async (_n, headers) => {
    const res = await session(headers)
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toBeTruthy()
  })
})
