import { create } from 'zustand'
import type { RunPlanEvent } from '../../../../shared/ui-api/index.ts'
import type { RunPlanItem } from '../../../../shared/runplan.ts'

// The run plan as the server holds it: a snapshot, then changes applied in revision order.
// A gap in revisions (a missed change) asks the page to reload.

interface RunPlanState {
  rev: number
  items: RunPlanItem[]
  stale: boolean
  apply(e: RunPlanEvent): void
}

const sorted = (items: Iterable<RunPlanItem>) => [...items].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id))

export const useRunPlan = create<RunPlanState>((set, get) => ({
  rev: -1,
  items: [],
  stale: false,
  apply: (e) => {
    if (e.type === 'snapshot') return set({ rev: e.list.rev, items: sorted(e.list.items), stale: false })
    const { rev, items } = get()
    const c = e.change
    if (c.rev <= rev) return
    if (c.rev !== rev + 1) return set({ stale: true })
    const map = new Map(items.map((i) => [i.id, i]))
    if (c.kind === 'removed') map.delete(c.id)
    else if (c.item) map.set(c.id, c.item)
    set({ rev: c.rev, items: sorted(map.values()) })
  },
}))
