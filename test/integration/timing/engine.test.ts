import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ANONYMOUS } from '../../../src/shared/auth.ts'
import type { TimingLiveEvent } from '../../../src/shared/ui-api/timing.ts'
import type { ReplaySource } from '../../../src/main/timing/sources/rmonitor.ts'
import { capturePath } from '../../helpers/shared.ts'
import { startCore, type TestCore, until } from './helpers.ts'

const admin = { principal: { username: 'admin', role: 'admin' as const }, transport: 'ws' as const }
const anon = { principal: ANONYMOUS, transport: 'ws' as const }
let cores: TestCore[] = []
afterEach(async () => {
  await Promise.all(cores.map((c) => c.stop()))
  cores = []
})

describe('timing engine', () => {
  it('runs the generator by default, switches sources from the UI API (writes need Timing_rw), and says why a spec is bad', async () => {
    const a = await startCore({ source: 'generator', generatorCars: 30 })
    cores.push(a)
    const ui = a.core.ctx.ui
    await until(() => a.timing.store.cars.size === 30, 5000, 'the generated field')
    expect(a.core.status().engines.timing!.state).toBe('running')
    await expect(ui.call('timing.source.set', { spec: 'none' }, anon)).rejects.toMatchObject({ code: 'unauthenticated' })
    await expect(ui.call('timing.source.set', { spec: 'telepathy' }, admin)).rejects.toMatchObject({ code: 'invalid_params' })
    const operator = { principal: { username: 'op', role: 'operator' as const }, transport: 'ws' as const }
    await expect(ui.call('timing.source.set', { spec: 'replay:/etc/passwd' }, operator)).rejects.toMatchObject({ code: 'forbidden' })
    const events: TimingLiveEvent[] = []
    const off = ui.subscribe('timing.live', {}, anon, (e) => events.push(e as TimingLiveEvent))
    expect(events[0]).toMatchObject({ t: 'full', source: { kind: 'generator', state: 'live' } })
    expect((events[0] as { state: { carPositions: unknown[] } }).state.carPositions).toHaveLength(30)
    const coreEvents: string[] = []
    a.core.ctx.events.on('timing.car', () => coreEvents.push('car'))
    a.core.ctx.events.on('timing.reset', () => coreEvents.push('reset'))
    a.core.ctx.events.on('timing.flags', () => coreEvents.push('flags'))
    a.core.ctx.events.on('notify', (n) => coreEvents.push(`notify:${n.title}`))
    const info = (await ui.call('timing.source.set', { spec: `replay:${capturePath('redmist-TestStart.txt')}@max` }, admin)) as { kind: string }
    expect(info.kind).toBe('replay')
    await (a.timing.sourceObject as ReplaySource).done
    expect(events.some((e) => e.t === 'reset')).toBe(true)
    expect(events.some((e) => e.t === 'cars')).toBe(true)
    expect(events.some((e) => e.t === 'source' && e.source.kind === 'replay')).toBe(true)
    expect(coreEvents).toContain('reset')
    expect(coreEvents).toContain('car')
    expect(coreEvents).toContain('flags')
    expect(coreEvents.some((e) => e.startsWith('notify:') && e.includes('flag'))).toBe(true)
    const state = (await ui.call('timing.state', {}, anon)) as { state: { carPositions: Array<{ number: string }> } }
    expect(state.state.carPositions.length).toBe(a.timing.store.cars.size)
    off()
  }, 20_000)

  it('a bad configured source leaves the app running, degraded, with the reason', async () => {
    const a = await startCore({ source: 'replay:/nonexistent/file.txt' })
    cores.push(a)
    await until(() => a.timing.source.state === 'error', 3000, 'the error')
    expect(a.timing.source.detail).toMatch(/ENOENT/)
    expect(a.core.status().engines.timing!.state).toBe('degraded')
  })

  it('follows a control-log CSV file and folds penalties into the cars', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cl-'))
    const file = join(dir, 'log.csv')
    writeFileSync(file, 'Time,Corner,Car 1,Car 2,Note,Status,Penalty Action,Other Notes\n2025-04-26T14:00:00Z,T5,70*,2,Contact,Reviewed,1 Lap,\n2025-04-26T14:05:00Z,T1,2,,Track limits,,Warning,\nbroken,"unterminated\n')
    const a = await startCore({ source: `replay:${capturePath('redmist-TestResetRetainLapTime.txt')}@max`, controlLogFile: file })
    cores.push(a)
    await (a.timing.sourceObject as ReplaySource).done
    await until(() => a.timing.controlLog.entries.length >= 2, 5000, 'the control log')
    expect(a.timing.store.cars.get('70')).toMatchObject({ penalityLaps: 1, penalityWarnings: 0 })
    expect(a.timing.store.cars.get('2')).toMatchObject({ penalityWarnings: 1, penalityLaps: 0 })
    const entries = (await a.core.ctx.ui.call('timing.controllog', { car: '70' }, anon)) as unknown[]
    expect(entries).toHaveLength(1)
    // The file changes: the log and the penalties follow.
    writeFileSync(file, 'Time,Corner,Car 1,Car 2,Note,Status,Penalty Action,Other Notes\n2025-04-26T14:00:00Z,T5,70*,2,Contact,Reviewed,Black Flag,\n')
    await until(() => a.timing.store.cars.get('70')!.blackFlags === 1, 8000, 'the new penalty')
    expect(a.timing.store.cars.get('70')!.penalityLaps).toBe(0)
    expect(a.timing.store.cars.get('2')!.penalityWarnings).toBe(0)
  }, 20_000)
})
