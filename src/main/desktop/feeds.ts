import type { UiContext, UiRouter } from '../uiapi/index.ts'
import type { FlagColour } from './tray-state.ts'

// Live facts the tray needs beyond the engines' status: the track flag (timing section, topic
// `timing.live`) and the camera link + recording state (camera section, topic `camera`). Followed by
// name through the UI router, so the shell needs nothing from those rooms but their public API; a
// section that is not there (a build without it) is simply not followed.

export interface LiveFacts {
  flag?: FlagColour
  deviceLink?: 'connected' | 'connecting' | 'disconnected'
  deviceDetail?: string
  recording?: boolean
}

/** RedMist `Flags` (sent as integers) and names → the tray's colours. */
const FLAG_BY_NUMBER: Record<number, FlagColour> = { 0: 'none', 1: 'green', 2: 'yellow', 3: 'red', 4: 'white', 5: 'checkered', 7: 'yellow', 8: 'yellow' }
const FLAG_BY_NAME: Record<string, FlagColour> = { green: 'green', yellow: 'yellow', fcy: 'yellow', red: 'red', white: 'white', checkered: 'checkered', chequered: 'checkered', unknown: 'none' }

export function flagColour(v: unknown): FlagColour | undefined {
  if (typeof v === 'number') return FLAG_BY_NUMBER[v]
  if (typeof v === 'string') return FLAG_BY_NAME[v.toLowerCase()]
  return undefined
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined)

/** A `timing.live` event: `full` carries the whole session state, `session` a patch (null = unchanged). */
export function applyTimingEvent(facts: LiveFacts, e: unknown): LiveFacts {
  const ev = obj(e)
  if (!ev) return facts
  if (ev.t === 'reset') return { ...facts, flag: 'none' }
  const state = ev.t === 'full' ? obj(ev.state) : ev.t === 'session' ? obj(ev.patch) : undefined
  const flag = flagColour(state?.currentFlag)
  return flag ? { ...facts, flag } : facts
}

/** A `camera` event: `snapshot` (state + link), `change` (changed keys) or `link`. */
export function applyCameraEvent(facts: LiveFacts, e: unknown): LiveFacts {
  const ev = obj(e)
  if (!ev) return facts
  let next = facts
  const link = ev.type === 'snapshot' ? obj(obj(ev.snapshot)?.link) : ev.type === 'link' ? obj(ev.link) : undefined
  if (link && (link.state === 'connected' || link.state === 'connecting' || link.state === 'disconnected')) {
    next = { ...next, deviceLink: link.state, ...(typeof link.detail === 'string' && link.detail ? { deviceDetail: link.detail } : {}) }
  }
  const values = ev.type === 'snapshot' ? obj(obj(ev.snapshot)?.state) : ev.type === 'change' ? obj(ev.changes) : undefined
  if (values && 'record' in values) next = { ...next, recording: values.record === 'on' || values.record === 'pause' || values.record === true }
  return next
}

export interface Feeds {
  facts(): LiveFacts
  /** Present when the camera section is there. */
  setRecording?: (on: boolean) => Promise<unknown>
  stop(): void
}

export function followFeeds(
  router: Pick<UiRouter, 'subscribe' | 'call'>,
  ctx: UiContext,
  onChange: (facts: LiveFacts, before: LiveFacts) => void,
  onError: (err: unknown) => void = () => undefined,
): Feeds {
  let facts: LiveFacts = {}
  const offs: Array<() => void> = []
  const follow = (topic: string, apply: (f: LiveFacts, e: unknown) => LiveFacts): boolean => {
    let off: () => void
    try {
      off = router.subscribe(topic, {}, ctx, (e) => {
        // A failing listener must neither break the topic nor pass for a missing section.
        try {
          const before = facts
          facts = apply(facts, e)
          if (facts !== before) onChange(facts, before)
        } catch (err) {
          onError(err)
        }
      })
    } catch {
      return false // no such section in this build
    }
    offs.push(off)
    return true
  }
  follow('timing.live', applyTimingEvent)
  const camera = follow('camera', applyCameraEvent)
  return {
    facts: () => facts,
    ...(camera ? { setRecording: (on: boolean) => router.call('camera.set', { changes: { record: on ? 'on' : 'off' } }, ctx) } : {}),
    stop: () => offs.splice(0).forEach((off) => off()),
  }
}
