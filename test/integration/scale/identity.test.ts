import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'
import { RedisServer, waitFor } from '../../helpers/redis.ts'

const redis = new RedisServer()
const cores: Core[] = []
const secret = 'shared-secret-for-the-whole-backplane-0123456789'

async function instance(name: string): Promise<Core> {
  const core = await createCore(
    parseConfig({ name, port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-scale-')), logToConsole: false, adminPassword: 'admin-password', timing: { source: 'none' }, redis: redis.url, tokenSecret: secret }),
  )
  cores.push(core)
  return core
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Promise<Response>): Promise<any> => (await r).json()
const login = (core: Core, username: string, password: string) =>
  fetch(`${core.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })

beforeAll(() => redis.start())
afterAll(async () => {
  for (const c of cores) await c.stop()
  await redis.kill()
})

describe('one identity across instances', () => {
  it('shares users and tokens; status says the backplane is up', async () => {
    const a = await instance('A')
    const b = await instance('B')
    const c = await instance('C')
    await waitFor(() => cores.every((x) => x.status().engines.backplane?.state === 'running'), 10_000, 'backplane up')
    const { token } = await json(login(a, 'admin', 'admin-password'))
    const created = await fetch(`${a.url}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'crew', password: 'crew-password', role: 'operator' }) })
    expect(created.status).toBe(201)
    await waitFor(async () => (await login(c, 'crew', 'crew-password')).status === 200, 5000, 'user on C')
    const crewToken = (await json(login(b, 'crew', 'crew-password'))).token
    // A token from B works on A and C.
    for (const x of [a, c]) expect((await fetch(`${x.url}/api/status`, { headers: { authorization: `Bearer ${crewToken}` } })).status).toBe(200)
    expect((await fetch(`${a.url}/api/users`, { headers: { authorization: `Bearer ${crewToken}` } })).status).toBe(403) // operator, authenticated everywhere
    const status = await json(fetch(`${b.url}/api/status`))
    expect(status.engines.backplane).toMatchObject({ state: 'running', instanceId: b.ctx.instanceId })
  })
})
