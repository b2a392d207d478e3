import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'
import type { MessagingEngine } from '../../../src/main/messaging/index.ts'
import type { TestCore } from '../messaging/helpers.ts'

export const SECRET = 'shared-secret-for-the-scale-test-instances-0123456789'

/** One Pitwall instance on the backplane (a real core, loopback, its own data dir). */
export async function instance(redisUrl: string, name: string, extra: Record<string, unknown> = {}, dataDir?: string): Promise<TestCore & { name: string }> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), `pw-scale-${name}-`))
  const core: Core = await createCore(
    parseConfig({
      name,
      port: 0,
      host: '127.0.0.1',
      dataDir: dir,
      logToConsole: false,
      logLevel: 'warn',
      adminPassword: 'test-admin-pw',
      timing: { source: 'none' },
      device: { source: 'sim' },
      redis: redisUrl,
      tokenSecret: SECRET,
      ...extra,
    }),
  )
  const http = core.url
  return {
    name,
    core,
    dataDir: dir,
    http,
    ws: http.replace('http:', 'ws:'),
    messaging: core.engines.find((e) => e.name === 'messaging') as MessagingEngine,
    async token(user, role = 'operator') {
      const auth = core.ctx.auth
      if (!auth.listUsers().some((u) => u.username === user)) await auth.createUser({ username: user, password: 'password-' + user, role })
      return (await auth.issue(user, role)).token
    },
    async stop(keepData = false) {
      await core.stop()
      if (!keepData) rmSync(dir, { recursive: true, force: true })
    },
  }
}
