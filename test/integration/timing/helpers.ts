import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'
import type { TimingEngine } from '../../../src/main/timing/index.ts'
import type { SessionState } from '../../../src/shared/timing.ts'

export interface TestCore {
  core: Core
  timing: TimingEngine
  dir: string
  stop(): Promise<void>
}

export async function startCore(timing: Record<string, unknown>, opts: { port?: number; dir?: string; config?: Record<string, unknown> } = {}): Promise<TestCore> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pw-timing-'))
  const core = await createCore(
    parseConfig({ port: opts.port ?? 0, host: '127.0.0.1', dataDir: dir, logToConsole: false, logLevel: 'warn', adminPassword: 'test-admin-pw', timing, device: { source: 'sim' }, ...opts.config }),
    { storeDir: ':memory:' },
  )
  const t = core.engines.find((e) => e.name === 'timing') as TimingEngine
  return {
    core,
    timing: t,
    dir,
    stop: async () => {
      await core.stop()
      if (!opts.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** What a follower must reproduce: every car field and the session header (not local bookkeeping). */
export function comparable(s: SessionState) {
  const cars = [...s.carPositions].sort((a, b) => (a.number < b.number ? -1 : 1))
  return {
    eventId: s.eventId,
    sessionId: s.sessionId,
    sessionName: s.sessionName,
    currentFlag: s.currentFlag,
    lapsToGo: s.lapsToGo,
    timeToGo: s.timeToGo,
    runningRaceTime: s.runningRaceTime,
    localTimeOfDay: s.localTimeOfDay,
    flagDurations: s.flagDurations,
    eventEntries: [...s.eventEntries].sort((a, b) => (a.number < b.number ? -1 : 1)),
    cars,
  }
}
