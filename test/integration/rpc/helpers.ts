import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Role } from '../../../src/shared/auth.ts'
import { type ConfigInput, parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'
import { RpcClient, type RpcClientOptions, type RpcEngine, type RpcProtocolName } from '../../../src/main/rpc/index.ts'

export async function startCore(over: Partial<ConfigInput> = {}): Promise<Core> {
  return createCore(
    parseConfig({
      port: 0,
      host: '127.0.0.1',
      dataDir: mkdtempSync(join(tmpdir(), 'pw-rpc-')),
      logToConsole: false,
      logLevel: 'warn',
      adminPassword: 'test-admin-pw',
      timing: { source: 'none' },
      device: { source: 'sim' },
      ...over,
    }),
  )
}

export const rpcOf = (core: Core) => core.engines.find((e) => e.name === 'rpc') as RpcEngine

/** A login token for a user of `role` (created on first use). */
export async function tokenFor(core: Core, role: Role): Promise<string> {
  const username = `rpc-${role}`
  await core.ctx.auth.createUser({ username, password: 'password-' + role, role }, true)
  return (await core.ctx.auth.issue(username, role)).token
}

const open: RpcClient[] = []

export async function connect(core: Core, protocol: RpcProtocolName, token?: string, over: Partial<RpcClientOptions> = {}): Promise<RpcClient> {
  const client = new RpcClient({ url: `${core.url}/hubs/rpc`, protocol, ...(token ? { accessTokenFactory: () => token } : {}), ...over })
  open.push(client)
  await client.start()
  return client
}

export async function closeClients(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.stop().catch(() => {})))
}

/** Waits until `fn` is true (bounded). */
export async function until(fn: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
