import { memo, useEffect, useMemo, useRef, useState } from 'react'
import type { CarPosition, EventEntry } from '../../../../shared/timing.ts'
import { parseTimeMs } from '../../../../shared/timing.ts'
import { CarDetails } from './CarDetails.tsx'
import { classColour, lapTime } from './format.ts'
import { type GroupMode, type SortMode, useTiming } from './store.ts'

interface Section {
  title: string | null
  colour?: string
  cars: CarPosition[]
}

const posKey = (c: CarPosition) => c.overallPosition || 1e6
const bestKey = (c: CarPosition) => parseTimeMs(c.bestTime ?? '') || 1e12

/** Sorts and groups the cars (favourites pinned on top), filtered by the search. */
export function arrange(cars: Iterable<CarPosition>, entries: Map<string, EventEntry>, o: { group: GroupMode; sort: SortMode; search: string; favourites: string[]; classOrder: Record<string, string> }): Section[] {
  const q = o.search.trim().toLowerCase()
  let list = [...cars]
  if (q) {
    const terms = q.split(/[\s,]+/).filter(Boolean)
    list = list.filter((c) => terms.some((t) => c.number.toLowerCase().startsWith(t) || (entries.get(c.number)?.name ?? '').toLowerCase().includes(t) || (entries.get(c.number)?.team ?? '').toLowerCase().includes(t)))
  }
  const cmp = o.sort === 'fastest' ? (a: CarPosition, b: CarPosition) => bestKey(a) - bestKey(b) || posKey(a) - posKey(b) : (a: CarPosition, b: CarPosition) => posKey(a) - posKey(b) || (a.number < b.number ? -1 : 1)
  list.sort(cmp)
  const sections: Section[] = []
  const fav = new Set(o.favourites)
  const pinned = list.filter((c) => fav.has(c.number))
  if (pinned.length) sections.push({ title: 'Favourites', cars: pinned })
  const rest = pinned.length ? list.filter((c) => !fav.has(c.number)) : list
  if (o.group === 'overall') {
    sections.push({ title: pinned.length ? 'Field' : null, cars: rest })
    return sections
  }
  const byClass = new Map<string, CarPosition[]>()
  for (const c of rest) {
    const k = c.class ?? ''
    let l = byClass.get(k)
    if (!l) byClass.set(k, (l = []))
    l.push(c)
  }
  const order = [...byClass.keys()].sort((a, b) => {
    const oa = Number(o.classOrder[a] ?? NaN)
    const ob = Number(o.classOrder[b] ?? NaN)
    if (!Number.isNaN(oa) || !Number.isNaN(ob)) return (Number.isNaN(oa) ? 1e9 : oa) - (Number.isNaN(ob) ? 1e9 : ob)
    return posKey(byClass.get(a)![0]!) - posKey(byClass.get(b)![0]!)
  })
  for (const k of order) sections.push({ title: k || 'No class', cars: byClass.get(k)! })
  return sections
}

function pitBadge(c: CarPosition): string | null {
  if (c.isEnteredPit) return 'ENTERED PIT'
  if (c.isPitStartFinish) return 'PIT S/F'
  if (c.isInPit) return 'PIT'
  if (c.isExitedPit) return 'EXITED PIT'
  return null
}

function gained(n: number | undefined): { text: string; cls: string } {
  if (n === undefined || n === -999 || n === 0) return { text: '', cls: '' }
  return n > 0 ? { text: `▲${n}`, cls: 'up' } : { text: `▼${-n}`, cls: 'down' }
}

interface RowProps {
  car: CarPosition
  entry: EventEntry | undefined
  colour: string
  byClass: boolean
  fastest: boolean
  favourite: boolean
  expanded: boolean
  /** Where the row sits (px from the top of the board) and its place in the order. */
  y: number
  index: number
}

/**
 * One car: a fixed-height grid row placed by a transform, so a position change moves the row without
 * re-laying out the others, and a changed car re-renders only its own row (memoised on the car object:
 * the store gives a car a new object only when it changed).
 */
export const CarRow = memo(function CarRow({ car, entry, colour, byClass, fastest, favourite, expanded, y, index }: RowProps) {
  const { toggleFavourite, setExpanded } = useTiming.getState()
  const gap = fastest ? (byClass ? car.inClassGapByFastTime : car.overallGapByFastTime) : byClass ? car.inClassGap : car.overallGap
  const diff = fastest ? (byClass ? car.inClassDifferenceByFastTime : car.overallDifferenceByFastTime) : byClass ? car.inClassDifference : car.overallDifference
  const g = gained(byClass ? car.inClassPositionsGained : car.overallPositionsGained)
  const most = byClass ? car.isClassMostPositionsGained : car.isOverallMostPositionsGained
  const pit = pitBadge(car)
  const pos = byClass ? car.classPosition : car.overallPosition
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`car${car.isStale ? ' stale' : ''}${expanded ? ' open' : ''}`}
      data-car={car.number}
      data-index={index}
      style={{ transform: `translateY(${y}px)` }}
      onClick={() => setExpanded(expanded ? null : car.number)}
    >
      <span role="cell" className="c-pos pos">{pos || ''}</span>
      <span role="cell" className="c-num num">
        <span className="class-bar" style={{ background: colour }} title={car.class ?? ''} />
        {car.number}
      </span>
      <span role="cell" className="c-name name">
        <span className="driver">{entry?.name || car.driverName || ''}</span>
        {entry?.team ? <span className="team">{entry.team}</span> : null}
      </span>
      <span role="cell" className="c-last time">{lapTime(car.lastLapTime)}</span>
      <span role="cell" className={`c-best time${car.isBestTime ? ' best-overall' : car.isBestTimeClass ? ' best-class' : ''}`}>{lapTime(car.bestTime)}</span>
      <span role="cell" className="c-gap gap">{gap}</span>
      <span role="cell" className="c-diff gap">{diff}</span>
      <span role="cell" className="c-laps laps" key={car.lastLapCompleted}>
        {car.lastLapCompleted || ''}
      </span>
      <span role="cell" className={`c-gain gain ${g.cls}${most ? ' most' : ''}`}>{g.text}</span>
      <span role="cell" className="c-badges badges">
        {pit && <span className="badge pit">{pit}</span>}
        {car.pitStopCount ? <span className="badge stops" title="pit stops">{car.pitStopCount}×</span> : null}
        {car.penalityWarnings > 0 && <span className="badge warn" title="warnings">W{car.penalityWarnings}</span>}
        {car.penalityLaps > 0 && <span className="badge pen">-{car.penalityLaps} {car.penalityLaps === 1 ? 'Lap' : 'Laps'}</span>}
        {car.blackFlags > 0 && <span className="badge bf" title="black flags">BF{car.blackFlags}</span>}
        {car.isStale && <span className="badge stale-mark" title="no timing data for a while">STALE</span>}
      </span>
      <span role="cell" className="c-fav fav">
        <button
          className={`star${favourite ? ' on' : ''}`}
          aria-label={favourite ? `Unpin car ${car.number}` : `Pin car ${car.number}`}
          onClick={(e) => {
            e.stopPropagation()
            toggleFavourite(car.number)
          }}
        >
          {favourite ? '★' : '☆'}
        </button>
      </span>
    </div>
  )
})

const ROW_H = 40
const SECTION_H = 30
const DETAILS_H = 230
/** Boards longer than this render only the rows near the viewport (plus OVERSCAN px each side). */
const VIRTUAL_ABOVE = 50
const OVERSCAN = 600

/** The visible band of the board body, in body coordinates, following the scrolling ancestor. */
function useViewport(body: React.RefObject<HTMLDivElement | null>, enabled: boolean): { top: number; bottom: number } {
  const [band, setBand] = useState({ top: 0, bottom: 4000 })
  useEffect(() => {
    const el = body.current
    if (!enabled || !el) return
    let scroller: HTMLElement | null = el.parentElement
    while (scroller && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowY)) scroller = scroller.parentElement
    const target: HTMLElement | Window = scroller ?? window
    let frame = 0
    const measure = () => {
      frame = 0
      const r = el.getBoundingClientRect()
      const viewTop = scroller ? scroller.getBoundingClientRect().top : 0
      const viewH = scroller ? scroller.clientHeight : window.innerHeight
      const top = Math.floor((viewTop - r.top) / 200) * 200
      setBand((b) => (b.top === top && b.bottom === top + viewH + 200 ? b : { top, bottom: top + viewH + 200 }))
    }
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure)
    }
    measure()
    target.addEventListener('scroll', onScroll, { passive: true })
    window.addEventListener('resize', onScroll)
    return () => {
      target.removeEventListener('scroll', onScroll)
      window.removeEventListener('resize', onScroll)
      if (frame) cancelAnimationFrame(frame)
    }
  }, [body, enabled])
  return band
}

export function Board() {
  const cars = useTiming((s) => s.cars)
  const version = useTiming((s) => s.carsVersion)
  const session = useTiming((s) => s.session)
  const group = useTiming((s) => s.group)
  const sortPref = useTiming((s) => s.sort)
  const search = useTiming((s) => s.search)
  const favourites = useTiming((s) => s.favourites)
  const expanded = useTiming((s) => s.expanded)
  const sort: SortMode = sortPref === 'auto' ? (session?.isPracticeQualifying ? 'fastest' : 'position') : sortPref
  const entries = useMemo(() => new Map((session?.eventEntries ?? []).map((e) => [e.number, e])), [session?.eventEntries])
  const sections = useMemo(
    () => arrange(cars.values(), entries, { group, sort, search, favourites, classOrder: session?.classOrder ?? {} }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [version, entries, group, sort, search, favourites, session?.classOrder],
  )
  const bodyRef = useRef<HTMLDivElement>(null)
  const fav = new Set(favourites)
  const colours = session?.classColors
  // Layout: every row's y; the DOM keeps a stable order (by number) so a reorder only moves transforms.
  const places = new Map<string, { y: number; index: number }>()
  const heads: Array<{ title: string; y: number; count: number }> = []
  let y = 0
  let index = 0
  let detailsY = -1
  for (const s of sections) {
    if (s.title) {
      heads.push({ title: s.title, y, count: s.cars.length })
      y += SECTION_H
    }
    for (const c of s.cars) {
      places.set(c.number, { y, index: index++ })
      y += ROW_H
      if (expanded === c.number) {
        detailsY = y
        y += DETAILS_H
      }
    }
  }
  const virtual = places.size > VIRTUAL_ABOVE
  const band = useViewport(bodyRef, virtual)
  const inView = (yy: number, h: number) => !virtual || (yy + h >= band.top - OVERSCAN && yy <= band.bottom + OVERSCAN)
  const shown = [...places.keys()].filter((n) => inView(places.get(n)!.y, ROW_H)).sort()
  return (
    <div className="board" role="table" aria-label="Live timing" aria-rowcount={places.size + 1}>
      <div className="board-head" role="row">
        <span role="columnheader" className="c-pos">{group === 'class' ? 'Cls' : 'Pos'}</span>
        <span role="columnheader" className="c-num">#</span>
        <span role="columnheader" className="c-name">Driver / team</span>
        <span role="columnheader" className="c-last">Last</span>
        <span role="columnheader" className="c-best">Best</span>
        <span role="columnheader" className="c-gap">Gap</span>
        <span role="columnheader" className="c-diff">Diff</span>
        <span role="columnheader" className="c-laps">Laps</span>
        <span role="columnheader" className="c-gain">+/−</span>
        <span role="columnheader" className="c-badges" />
        <span role="columnheader" className="c-fav" />
      </div>
      <div className="board-body" style={{ height: y }} ref={bodyRef}>
        {heads.filter((h) => inView(h.y, SECTION_H)).map((h) => (
          <div key={h.title} className="section" style={{ transform: `translateY(${h.y}px)` }}>
            {group === 'class' && h.title !== 'Favourites' && <span className="class-bar" style={{ background: classColour(h.title, colours) }} />}
            {h.title} <span className="hint">({h.count})</span>
          </div>
        ))}
        {shown.map((n) => {
          const c = cars.get(n)!
          const p = places.get(n)!
          return <CarRow key={n} car={c} entry={entries.get(n)} colour={classColour(c.class, colours)} byClass={group === 'class'} fastest={sort === 'fastest'} favourite={fav.has(n)} expanded={expanded === n} y={p.y} index={p.index} />
        })}
        {expanded && detailsY >= 0 && (
          <div className="details" style={{ transform: `translateY(${detailsY}px)`, height: DETAILS_H }}>
            <CarDetails number={expanded} laps={cars.get(expanded)?.lastLapCompleted ?? 0} />
          </div>
        )}
      </div>
    </div>
  )
}
