import type { RunPlanItem } from '../../shared/runplan.ts'
import { newer, type RunPlanService } from '../rpc/runplan.ts'
import type { Backplane } from './backplane.ts'

const CHANNEL = 'rpc.runplan'
const ITEMS = 'pw:runplan' // HASH id → item JSON
const REMOVED = 'pw:runplan:removed' // HASH id → removal time (so an instance that missed it does not bring the item back)

type Wire = { kind: 'upsert'; item: RunPlanItem } | { kind: 'removed'; id: string }

/**
 * The run plan across instances: every accepted change is written to a Redis hash and announced;
 * the others apply it (RunPlanService.applyRemote: the newer item wins, so they converge) and tell
 * their UI and RPC clients (RunPlanAdded/Updated/Removed broadcasts). On every (re)connect the
 * instance merges the hash and adds what it changed while Redis was down.
 */
export function shareRunPlan(bp: Backplane, runPlan: RunPlanService): () => void {
  const onChange = (change: { kind: string; id: string; item?: RunPlanItem }, origin: string) => {
    if (origin === 'remote' || !bp.up) return
    const wire: Wire = change.kind === 'removed' ? { kind: 'removed', id: change.id } : { kind: 'upsert', item: change.item! }
    const r = bp.redis
    const write = wire.kind === 'removed' ? r.multi().hdel(ITEMS, wire.id).hset(REMOVED, wire.id, Date.now()).pexpire(REMOVED, 7 * 86_400_000).exec() : r.hset(ITEMS, wire.item.id, JSON.stringify(wire.item))
    write.catch(() => undefined)
    bp.publish(CHANNEL, JSON.stringify(wire))
  }
  runPlan.on('change', onChange)
  const off = bp.subscribe(CHANNEL, (data) => {
    try {
      runPlan.applyRemote(JSON.parse(data.toString()) as Wire)
    } catch {
      /* malformed: the next sync repairs */
    }
  })
  const sync = async () => {
    const [items, removed] = await Promise.all([bp.redis.hgetall(ITEMS), bp.redis.hgetall(REMOVED)])
    for (const id of Object.keys(removed)) runPlan.applyRemote({ kind: 'removed', id })
    const shared = new Map<string, RunPlanItem>()
    for (const json of Object.values(items)) {
      const item = JSON.parse(json) as RunPlanItem
      shared.set(item.id, item)
      runPlan.applyRemote({ kind: 'upsert', item })
    }
    // Ours that Redis lacks or holds an older state of (changed here while it was down).
    for (const item of runPlan.list().items) {
      const there = shared.get(item.id)
      if (!there || newer(item, there)) {
        await bp.redis.hset(ITEMS, item.id, JSON.stringify(item))
        bp.publish(CHANNEL, JSON.stringify({ kind: 'upsert', item } satisfies Wire))
      }
    }
  }
  const onState = (state: string) => {
    if (state === 'connected') sync().catch(() => undefined)
  }
  bp.on('state', onState)
  if (bp.up) void sync().catch(() => undefined)
  return () => {
    runPlan.off('change', onChange)
    off()
    bp.off('state', onState)
  }
}
