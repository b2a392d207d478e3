import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../../../src/main/core/index.ts'
import { RpcDataSource, type RpcClient, RunPlanCrudTags, RpcTags } from '../../../src/main/rpc/index.ts'
import type { RunPlanItem } from '../../../src/shared/runplan.ts'
import { closeClients, connect, rpcOf, startCore, tokenFor, until } from './helpers.ts'

const tags = { ...RunPlanCrudTags, added: RpcTags.RunPlanAdded, updated: RpcTags.RunPlanUpdated, removed: RpcTags.RunPlanRemoved }
const byPosition = (a: RunPlanItem, b: RunPlanItem) => a.position - b.position || a.id.localeCompare(b.id)

let core: Core
let token: string
beforeAll(async () => {
  core = await startCore()
  token = await tokenFor(core, 'operator')
})
afterAll(async () => {
  await closeClients()
  await core?.stop()
})

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
}

const snapshot = (ds: RpcDataSource<RunPlanItem>) => JSON.stringify(ds.items)

describe('run plan DataSource', () => {
  it('stays identical on three clients (one per protocol) under concurrent edits, and equals the server', async () => {
    const clients: RpcClient[] = [await connect(core, 'acbinary', token), await connect(core, 'json', token), await connect(core, 'messagepack', token)]
    const sources = clients.map((c) => new RpcDataSource<RunPlanItem>(c, tags, { sort: byPosition }))
    await Promise.all(sources.map((s) => s.load()))
    const rand = rng(42)
    let conflicts = 0
    // Five rounds; in each, every client fires six edits at once without waiting for the others.
    for (let round = 0; round < 5; round++) {
      const ops: Promise<unknown>[] = []
      for (const ds of sources) {
        for (let k = 0; k < 6; k++) {
          const items = ds.items.filter((i) => !i.id.startsWith('local-'))
          const r = rand()
          const target = items[Math.floor(rand() * items.length)]
          let op: Promise<unknown>
          if (r < 0.45 || !target) op = ds.add({ kind: 'stint', driver: `D${Math.floor(rand() * 100)}`, laps: Math.floor(rand() * 40) })
          else if (r < 0.85) op = ds.update({ id: target.id, version: target.version, driver: `E${Math.floor(rand() * 100)}`, fuelLiters: Math.round(rand() * 1000) / 10 })
          else op = ds.remove(target.id, target.version)
          ops.push(op.catch((e: { code?: string }) => void (e.code === 'conflict' || e.code === 'not_found' ? conflicts++ : Promise.reject(e))))
        }
      }
      await Promise.all(ops)
    }
    const server = JSON.stringify(rpcOf(core).runPlan.list().items.sort(byPosition))
    await until(() => sources.every((s) => s.pendingCount === 0 && snapshot(s) === server), 'all three lists to equal the server')
    expect(sources.map(snapshot)).toEqual([server, server, server])
    expect(sources.map((s) => s.rev)).toEqual(Array(3).fill(rpcOf(core).runPlan.rev))
    expect(JSON.parse(server).length).toBeGreaterThan(5)
    expect(conflicts).toBeGreaterThan(0) // the edits really did collide
    for (const s of sources) s.dispose()
  })

  it('a refused edit rolls back; edits from the UI reach RPC clients', async () => {
    const c = await connect(core, 'acbinary', token)
    const ds = new RpcDataSource<RunPlanItem>(c, tags, { sort: byPosition })
    await ds.load()
    const item = await ds.add({ kind: 'fuel', fuelLiters: 40 })
    const p = ds.update({ id: item.id, version: item.version + 5, note: 'stale' })
    expect(ds.trackingState(item.id)).toBe('Modified')
    expect(ds.items.find((i) => i.id === item.id)?.note).toBe('stale') // optimistic
    await expect(p).rejects.toMatchObject({ code: 'conflict' })
    expect(ds.items.find((i) => i.id === item.id)?.note).toBe('') // rolled back
    expect(ds.trackingState(item.id)).toBe('Unchanged')
    // A change through the UI API path (origin 'ui') is broadcast to every RPC client.
    rpcOf(core).runPlan.update({ id: item.id, note: 'from the UI' }, 'admin', 'ui')
    await until(() => ds.items.find((i) => i.id === item.id)?.note === 'from the UI', 'the UI edit')
    ds.dispose()
  })

  it('reconnects automatically and catches up on what it missed', async () => {
    // With negotiate (not skipped) the client knows its connection id.
    const a = await connect(core, 'acbinary', token, { reconnectDelays: [0, 100, 200], skipNegotiation: false })
    const b = await connect(core, 'messagepack', token)
    const da = new RpcDataSource<RunPlanItem>(a, tags, { sort: byPosition })
    const db = new RpcDataSource<RunPlanItem>(b, tags, { sort: byPosition })
    await Promise.all([da.load(), db.load()])
    const reconnected = new Promise<void>((r) => a.connection.onreconnected(() => r()))
    // The server drops a's connection (allowing reconnect); b edits while a is away.
    const pending = a.echo('before').catch((e: { code: string }) => e.code)
    rpcOf(core).hub!.connection(a.connection.connectionId!)!.close(undefined, true)
    await db.add({ kind: 'note', note: 'while a was away' })
    await reconnected
    await until(() => JSON.stringify(da.items) === JSON.stringify(db.items), 'a to catch up')
    expect(da.items.some((i) => i.note === 'while a was away')).toBe(true)
    expect(['before', 'connection_lost']).toContain(await pending)
    expect(await a.echo('after')).toBe('after')
    da.dispose()
    db.dispose()
  })
})


describe('stateful reconnect over acbinary', () => {
  it('a cut WebSocket is resumed: every request in flight is answered once, nothing is applied twice', async () => {
    const c = await connect(core, 'acbinary', token, { statefulReconnect: true, reconnectDelays: [0, 100] })
    const id = c.connection.connectionId!
    const conn = core.ctx.signalr.connectionOf('/hubs/rpc', id)!
    expect(conn.statefulReconnect).toBe(true)
    const before = rpcOf(core).runPlan.list().items.length
    const echoes = Array.from({ length: 30 }, (_, i) => c.echo(i))
    const adds = Array.from({ length: 20 }, (_, i) => c.postDataAsync<{ item: RunPlanItem }>(RpcTags.RunPlanAdd, { kind: 'note', note: `stateful ${i}` }))
    conn.cutTransport()
    expect(await Promise.all(echoes)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    const added = await Promise.all(adds)
    expect(new Set(added.map((a) => a.item.id)).size).toBe(20)
    expect(rpcOf(core).runPlan.list().items.length).toBe(before + 20)
    expect(c.connection.connectionId).toBe(id)
    expect(await c.echo('after the cut')).toBe('after the cut')
  })
})
