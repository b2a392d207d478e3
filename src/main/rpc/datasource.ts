// The client side of a DataSource (upstream AcSignalRDataSource): a list kept in sync with the server
// through the five CRUD tags and three broadcast tags. Local edits show at once (optimistic) and are
// tracked (Added / Modified / Deleted) until the server answers; a refused edit rolls back.
// The confirmed list only moves by the server's revision numbers, so every client converges on the
// server's list: a gap in revisions triggers a reload. Browser-safe.

import type { RpcClient } from './client.ts'
import type { CrudTags } from './tags.ts'

export type TrackingState = 'Unchanged' | 'Added' | 'Modified' | 'Deleted'

export interface DataSourceTags extends CrudTags {
  /** Broadcasts from the server after another client's change. */
  added: number
  updated: number
  removed: number
}

/** What the change tags answer and broadcast. */
export interface DataSourceChange<T> {
  kind: 'added' | 'updated' | 'removed'
  rev: number
  id: string
  item?: T
}

interface Op<T> {
  seq: number
  state: Exclude<TrackingState, 'Unchanged'>
  id: string
  item?: T
}

export interface DataSourceOptions<T> {
  /** Server-side filters passed to getAll as parameters. */
  contextIds?: unknown[]
  /** Order of `items` (default: insertion order of the server's list). */
  sort?: (a: T, b: T) => number
}

export class RpcDataSource<T extends { id: string }> {
  #client: RpcClient
  #tags: DataSourceTags
  #opts: DataSourceOptions<T>
  #confirmed = new Map<string, T>()
  #rev = -1
  #ops: Op<T>[] = []
  #seq = 0
  #listeners = new Set<() => void>()
  #reloading: Promise<void> | undefined
  #off: Array<() => void> = []

  constructor(client: RpcClient, tags: DataSourceTags, opts: DataSourceOptions<T> = {}) {
    this.#client = client
    this.#tags = tags
    this.#opts = opts
    const apply = (r: { data: unknown }) => this.#apply(r.data as DataSourceChange<T>)
    this.#off.push(client.on(tags.added, apply), client.on(tags.updated, apply), client.on(tags.removed, apply))
    this.#off.push(client.onReconnected(() => void this.reload().catch(() => {})))
  }

  /** Server revision of the confirmed list (-1 before the first load). */
  get rev(): number {
    return this.#rev
  }

  /** The confirmed list with this client's pending edits applied. */
  get items(): T[] {
    const view = new Map(this.#confirmed)
    for (const op of this.#ops) {
      if (op.state === 'Deleted') view.delete(op.id)
      else view.set(op.id, op.item!)
    }
    const list = [...view.values()]
    return this.#opts.sort ? list.sort(this.#opts.sort) : list
  }

  /** The server's list as last confirmed. */
  get confirmed(): T[] {
    const list = [...this.#confirmed.values()]
    return this.#opts.sort ? list.sort(this.#opts.sort) : list
  }

  get pendingCount(): number {
    return this.#ops.length
  }

  trackingState(id: string): TrackingState {
    for (let i = this.#ops.length - 1; i >= 0; i--) if (this.#ops[i]!.id === id) return this.#ops[i]!.state
    return 'Unchanged'
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  /** Loads the whole list (GetAll); concurrent calls share one request. */
  reload(): Promise<void> {
    this.#reloading ??= this.#client
      .getAllAsync<{ rev: number; items: T[] }>(this.#tags.getAll, this.#opts.contextIds ?? [])
      .then((list) => {
        if (list.rev >= this.#rev) {
          this.#confirmed = new Map(list.items.map((i) => [i.id, i]))
          this.#rev = list.rev
          this.#emit()
        }
      })
      .finally(() => (this.#reloading = undefined))
    return this.#reloading
  }

  load(): Promise<void> {
    return this.reload()
  }

  /** One item from the server (GetItem), without changing the list. */
  getItem(id: string): Promise<T> {
    return this.#client.getByIdAsync<T>(this.#tags.getItem, id)
  }

  /** Adds an item; shows at once under a temporary id, replaced by the server's item. */
  add(input: Partial<T> & Record<string, unknown>): Promise<T> {
    const tempId = `local-${++this.#seq}`
    return this.#edit({ seq: this.#seq, state: 'Added', id: tempId, item: { ...input, id: tempId } as unknown as T }, this.#tags.add, input)
  }

  /** Changes fields of an item (send `version` for optimistic concurrency: a stale one is refused). */
  update(patch: Partial<T> & { id: string }): Promise<T> {
    const base = this.items.find((i) => i.id === patch.id)
    return this.#edit({ seq: ++this.#seq, state: 'Modified', id: patch.id, item: { ...(base ?? {}), ...patch } as T }, this.#tags.update, patch)
  }

  async remove(id: string, version?: number): Promise<void> {
    const params = version === undefined ? [id] : [id, version]
    const op: Op<T> = { seq: ++this.#seq, state: 'Deleted', id }
    this.#ops.push(op)
    this.#emit()
    try {
      const change = await this.#client.postAsync<DataSourceChange<T>>(this.#tags.remove, params)
      this.#settle(op)
      this.#apply(change)
    } catch (err) {
      this.#settle(op)
      this.#emit()
      throw err
    }
  }

  async #edit(op: Op<T>, tag: number, data: unknown): Promise<T> {
    this.#ops.push(op)
    this.#emit()
    try {
      const change = await this.#client.postDataAsync<DataSourceChange<T>>(tag, data)
      this.#settle(op)
      this.#apply(change)
      return change.item!
    } catch (err) {
      // Rollback: dropping the pending edit restores the confirmed item.
      this.#settle(op)
      this.#emit()
      throw err
    }
  }

  #settle(op: Op<T>): void {
    const i = this.#ops.indexOf(op)
    if (i >= 0) this.#ops.splice(i, 1)
  }

  /** Applies a change in revision order; an older one is already in, a gap means a reload. */
  #apply(c: DataSourceChange<T> | undefined): void {
    if (!c || typeof c.rev !== 'number') return
    if (c.rev <= this.#rev) return this.#emit()
    if (c.rev !== this.#rev + 1) {
      void this.reload().catch(() => {})
      return
    }
    if (c.kind === 'removed') this.#confirmed.delete(c.id)
    else if (c.item) this.#confirmed.set(c.id, c.item)
    this.#rev = c.rev
    this.#emit()
  }

  #emit(): void {
    for (const fn of this.#listeners) fn()
  }

  dispose(): void {
    for (const off of this.#off) off()
    this.#off = []
    this.#listeners.clear()
  }
}
