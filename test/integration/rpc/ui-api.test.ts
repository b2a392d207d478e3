import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../../../src/main/core/index.ts'
import { RpcDataSource, RpcTags, RunPlanCrudTags } from '../../../src/main/rpc/index.ts'
import type { RunPlanChange, RunPlanItem, RunPlanList } from '../../../src/shared/runplan.ts'
import type { RunPlanEvent } from '../../../src/shared/ui-api/index.ts'
import { closeClients, connect, startCore, tokenFor, until } from './helpers.ts'

// The UI API rpc section: the run plan as the app's page uses it, on the same list as the RPC tags.

let core: Core
beforeAll(async () => {
  core = await startCore()
})
afterAll(async () => {
  await closeClients()
  await core?.stop()
})

const operator = { principal: { username: 'op', role: 'operator' as const }, transport: 'ws' as const }
const viewer = { principal: { username: 'v', role: 'viewer' as const }, transport: 'ws' as const }

describe('UI API runplan.*', () => {
  it('list/add/update/remove with precise errors, and the topic follows RPC edits', async () => {
    const ui = core.ctx.ui
    const events: RunPlanEvent[] = []
    const off = ui.subscribe('runplan', {}, viewer, (e) => void events.push(e as RunPlanEvent))
    expect(events[0]).toMatchObject({ type: 'snapshot', list: { items: [] } })
    const added = (await ui.call('runplan.add', { kind: 'stint', driver: 'Anna', laps: 25 }, operator)) as RunPlanChange
    expect(added.item).toMatchObject({ driver: 'Anna', laps: 25, updatedBy: 'op', version: 1 })
    await expect(ui.call('runplan.add', { kind: 'stint' }, viewer)).rejects.toMatchObject({ code: 'forbidden' })
    await expect(ui.call('runplan.add', { kind: 'lunch' }, operator)).rejects.toMatchObject({ code: 'invalid_params' })
    await expect(ui.call('runplan.update', { id: added.id, version: 7, note: 'x' }, operator)).rejects.toMatchObject({ code: 'conflict' })
    await expect(ui.call('runplan.update', { id: 'nope', note: 'x' }, operator)).rejects.toMatchObject({ code: 'not_found' })
    const updated = (await ui.call('runplan.update', { id: added.id, version: 1, note: 'fuel 60' }, operator)) as RunPlanChange
    expect(updated.item).toMatchObject({ note: 'fuel 60', version: 2 })
    // An RPC client's change reaches the UI topic; a UI change reaches the RPC client.
    const c = await connect(core, 'acbinary', await tokenFor(core, 'operator'))
    const ds = new RpcDataSource<RunPlanItem>(c, { ...RunPlanCrudTags, added: RpcTags.RunPlanAdded, updated: RpcTags.RunPlanUpdated, removed: RpcTags.RunPlanRemoved })
    await ds.load()
    await ds.add({ kind: 'driver', driver: 'Ben' })
    await until(() => events.some((e) => e.type === 'change' && e.change.item?.driver === 'Ben'), 'the RPC add on the UI topic')
    await ui.call('runplan.remove', { id: added.id }, operator)
    await until(() => !ds.items.some((i) => i.id === added.id), 'the UI removal at the RPC client')
    const list = (await ui.call('runplan.list', {}, viewer)) as RunPlanList
    expect(list.items.map((i) => i.driver)).toEqual(['Ben'])
    expect(list.rev).toBe(ds.rev)
    off()
    ds.dispose()
  })

  it('rpc.info reports the hub', async () => {
    const info = (await core.ctx.ui.call('rpc.info', {}, { principal: { username: 'admin', role: 'admin' }, transport: 'ws' })) as { path: string; protocols: string[] }
    expect(info).toMatchObject({ path: '/hubs/rpc', protocols: ['json', 'messagepack', 'acbinary'] })
  })

  it('keeps the run plan across a restart (stored in the database)', async () => {
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dataDir = mkdtempSync(join(tmpdir(), 'pw-rpc-persist-'))
    const a = await startCore({ dataDir })
    await a.ctx.ui.call('runplan.add', { kind: 'fuel', fuelLiters: 42 }, operator)
    const before = (await a.ctx.ui.call('runplan.list', {}, viewer)) as RunPlanList
    await a.stop()
    const b = await startCore({ dataDir })
    try {
      expect(await b.ctx.ui.call('runplan.list', {}, viewer)).toEqual(before)
    } finally {
      await b.stop()
    }
  })
})
