import { create } from 'zustand'
import type { CarControlLogs, CarPosition, CarPositionPatch, ControlLogEntry, SessionState, TimingSourceInfo } from '../../../../shared/timing.ts'
import type { TimingLiveEvent } from '../../../../shared/ui-api/timing.ts'

// The board's state. Live events are queued with their arrival time and applied in one batch per
// animation frame (100 cars at 10 Hz = one React update per frame, not 1000), after the broadcast
// delay: every element — board, flag, clocks, control log — shows what happened `delayMs` ago.

export type GroupMode = 'overall' | 'class'
export type SortMode = 'position' | 'fastest'

export interface TimingView {
  session: Omit<SessionState, 'carPositions'> | null
  cars: Map<string, CarPosition>
  /** Bumped whenever `cars` changes (cheap change detection for memoised lists). */
  carsVersion: number
  source: TimingSourceInfo | null
  controlLog: ControlLogEntry[]
  group: GroupMode
  sort: SortMode | 'auto'
  search: string
  favourites: string[]
  delayMs: number
  /** Car whose details are open. */
  expanded: string | null
  setGroup(g: GroupMode): void
  setSort(s: SortMode | 'auto'): void
  setSearch(s: string): void
  toggleFavourite(n: string): void
  setDelay(ms: number): void
  setExpanded(n: string | null): void
}

const FAV_KEY = 'pitwall.timing.favourites'
const DELAY_KEY = 'pitwall.timing.delayMs'

function load<T>(key: string, fallback: T): T {
  try {
    const v = localStorage.getItem(key)
    return v === null ? fallback : (JSON.parse(v) as T)
  } catch {
    return fallback
  }
}
function save(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value))
  } catch {
    /* private mode: not remembered */
  }
}

export const useTiming = create<TimingView>((set) => ({
  session: null,
  cars: new Map(),
  carsVersion: 0,
  source: null,
  controlLog: [],
  group: 'overall',
  sort: 'auto',
  search: '',
  favourites: load<string[]>(FAV_KEY, []),
  delayMs: load<number>(DELAY_KEY, 0),
  expanded: null,
  setGroup: (group) => set({ group }),
  setSort: (sort) => set({ sort }),
  setSearch: (search) => set({ search }),
  toggleFavourite: (n) =>
    set((s) => {
      const favourites = s.favourites.includes(n) ? s.favourites.filter((x) => x !== n) : [...s.favourites, n]
      save(FAV_KEY, favourites)
      return { favourites }
    }),
  setDelay: (ms) => {
    const delayMs = Math.max(0, Math.min(600_000, Math.round(ms)))
    save(DELAY_KEY, delayMs)
    set({ delayMs })
  },
  setExpanded: (expanded) => set({ expanded }),
}))

/** Bound on events waiting for the delay (10 min of a busy feed); the oldest go first. */
const MAX_QUEUE = 200_000
const queue: Array<{ at: number; e: TimingLiveEvent }> = []
let frame = 0
const raf: (cb: () => void) => number = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb) => setTimeout(cb, 16) as unknown as number

/** Queues one `timing.live` event; applied on a later animation frame. */
export function receive(e: TimingLiveEvent): void {
  queue.push({ at: performance.now(), e })
  if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE)
  if (!frame) frame = raf(flush)
}

/** Applies every due event in one state update. Exported for tests and benchmarks. */
export function flush(): void {
  frame = 0
  const st = useTiming.getState()
  const due = performance.now() - st.delayMs
  let n = 0
  while (n < queue.length && queue[n]!.at <= due) n++
  if (n > 0) {
    const batch = queue.splice(0, n)
    let session = st.session
    let cars = st.cars
    let carsChanged = false
    let source = st.source
    let controlLog = st.controlLog
    for (const { e } of batch) {
      switch (e.t) {
        case 'full': {
          const { carPositions, ...rest } = e.state
          session = rest
          cars = new Map(carPositions.map((c) => [c.number, c]))
          carsChanged = true
          source = e.source
          break
        }
        case 'session':
          session = session ? { ...session } : null
          if (session) for (const [k, v] of Object.entries(e.patch)) if (v !== null && v !== undefined && k !== 'carPositions') (session as Record<string, unknown>)[k] = v
          break
        case 'cars':
          if (!carsChanged) cars = new Map(cars)
          carsChanged = true
          for (const p of e.patches) applyCar(cars, p)
          break
        case 'reset':
          cars = new Map()
          carsChanged = true
          if (session) session = { ...session, eventEntries: [] }
          break
        case 'source':
          source = e.source
          break
        case 'controllog':
          controlLog = (e.log as CarControlLogs).entries
          break
      }
    }
    useTiming.setState({ session, cars, carsVersion: carsChanged ? st.carsVersion + 1 : st.carsVersion, source, controlLog })
  }
  // Events still inside the delay window: look again next frame.
  if (queue.length && !frame) frame = raf(flush)
}

function applyCar(cars: Map<string, CarPosition>, p: CarPositionPatch): void {
  const old = cars.get(p.number)
  // A new object per changed car: rows memoised on the car object re-render only when theirs changed.
  const next = { ...(old ?? ({ number: p.number } as CarPosition)) } as Record<string, unknown>
  for (const k in p) {
    const v = (p as Record<string, unknown>)[k]
    if (v !== null && v !== undefined) next[k] = v
  }
  cars.set(p.number, next as unknown as CarPosition)
}

/** Drops queued events (a new subscription starts with a full state). */
export function clearQueue(): void {
  queue.length = 0
}
