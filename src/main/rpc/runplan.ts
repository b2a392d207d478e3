import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { RUNPLAN_MAX_ITEMS, type RunPlanChange, type RunPlanItem, type RunPlanList } from '../../shared/runplan.ts'
import { runPlanAddSchema, runPlanUpdateSchema } from '../../shared/runplan-schema.ts'
import type { z } from 'zod'
import type { Store } from '../store/index.ts'
import { RpcError } from './tags.ts'

export interface RunPlanEvents {
  /** An accepted change; `origin` is who made it (an RPC connection id, or 'ui'). */
  change: [change: RunPlanChange, origin: string]
}

/**
 * The run plan DataSource on the server: the list in SQLite (ctx.store), a list revision that grows
 * by one per accepted change, per-item versions for optimistic concurrency. Everything that changes
 * it (RPC tags, UI API) goes through here, and every change is one event.
 */
export class RunPlanService extends EventEmitter<RunPlanEvents> {
  #store: Store
  #items = new Map<string, RunPlanItem>()
  #rev: number
  #maxItems: number

  constructor(store: Store, maxItems = RUNPLAN_MAX_ITEMS) {
    super()
    this.#store = store
    this.#maxItems = maxItems
    store.migrate('rpc', [
      `CREATE TABLE rpc_runplan (id TEXT PRIMARY KEY, item TEXT NOT NULL);
       CREATE TABLE rpc_runplan_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);`,
    ])
    for (const row of store.prepare('SELECT item FROM rpc_runplan').all() as Array<{ item: string }>) {
      const item = JSON.parse(row.item) as RunPlanItem
      this.#items.set(item.id, item)
    }
    this.#rev = (store.prepare("SELECT v FROM rpc_runplan_meta WHERE k = 'rev'").get() as { v: number } | undefined)?.v ?? 0
  }

  get rev(): number {
    return this.#rev
  }

  list(): RunPlanList {
    return { rev: this.#rev, items: [...this.#items.values()].sort(byPosition) }
  }

  get(id: string): RunPlanItem {
    const item = this.#items.get(id)
    if (!item) throw new RpcError('not_found', `no run plan item ${id}`)
    return item
  }

  add(input: z.output<typeof runPlanAddSchema>, by: string | null, origin: string): RunPlanChange {
    if (this.#items.size >= this.#maxItems) throw new RpcError('limit_reached', `the run plan holds at most ${this.#maxItems} items`)
    const last = [...this.#items.values()].reduce((m, i) => Math.max(m, i.position), 0)
    const item: RunPlanItem = {
      id: randomUUID(),
      version: 1,
      position: input.position ?? last + 1,
      kind: input.kind,
      driver: input.driver,
      startLap: input.startLap,
      laps: input.laps,
      fuelLiters: input.fuelLiters,
      note: input.note,
      updatedBy: by,
      updatedAt: Date.now(),
    }
    return this.#commit({ kind: 'added', rev: 0, item, id: item.id }, origin)
  }

  update(input: z.output<typeof runPlanUpdateSchema>, by: string | null, origin: string): RunPlanChange {
    const current = this.get(input.id)
    if (input.version !== undefined && input.version !== current.version) {
      throw new RpcError('conflict', `run plan item ${input.id} is at version ${current.version}, the update was based on ${input.version}`)
    }
    const { id: _id, version: _v, ...changes } = input
    const item: RunPlanItem = { ...current, ...stripUndefined(changes), version: current.version + 1, updatedBy: by, updatedAt: Date.now() }
    return this.#commit({ kind: 'updated', rev: 0, item, id: item.id }, origin)
  }

  remove(id: string, version: number | undefined, origin: string): RunPlanChange {
    const current = this.get(id)
    if (version !== undefined && version !== current.version) throw new RpcError('conflict', `run plan item ${id} is at version ${current.version}, the removal was based on ${version}`)
    return this.#commit({ kind: 'removed', rev: 0, id }, origin)
  }

  /** Stores the change and the new revision in one transaction, then emits it. */
  #commit(change: RunPlanChange, origin: string): RunPlanChange {
    const rev = this.#rev + 1
    this.#store.transaction(() => {
      if (change.kind === 'removed') this.#store.prepare('DELETE FROM rpc_runplan WHERE id = ?').run(change.id)
      else this.#store.prepare('INSERT INTO rpc_runplan(id, item) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET item = excluded.item').run(change.id, JSON.stringify(change.item))
      this.#store.prepare("INSERT INTO rpc_runplan_meta(k, v) VALUES ('rev', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v").run(rev)
    })
    this.#rev = rev
    if (change.kind === 'removed') this.#items.delete(change.id)
    else this.#items.set(change.id, change.item!)
    const done = { ...change, rev }
    this.emit('change', done, origin)
    return done
  }
}

function byPosition(a: RunPlanItem, b: RunPlanItem): number {
  return a.position - b.position || a.id.localeCompare(b.id)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
