import { useEffect, useState } from 'react'
import { useSession } from '../../stores/session.ts'
import { useConnectionState, useTopic, useTransport } from '../../transport/context.tsx'
import { Board } from './Board.tsx'
import { flagClass, flagName } from './format.ts'
import { ControlLogTab, FlagsTab, InCarView } from './Panels.tsx'
import { clearQueue, receive, useTiming } from './store.ts'

type Tab = 'board' | 'log' | 'flags'

/** The live timing board: header with flag and clocks, the board, control log and flags tabs, in-car view. */
export function TimingPage() {
  const connection = useConnectionState()
  const [tab, setTab] = useState<Tab>('board')
  const [inCar, setInCar] = useState<string | null>(null)
  const user = useSession((s) => s.user)
  const canWrite = user?.role === 'admin' || user?.role === 'operator'
  useEffect(() => clearQueue, [])
  useTopic('timing.live', {}, receive)
  // Narrow selections: this component must not re-render on every car update.
  const hasSession = useTiming((s) => s.session !== null)
  const carCount = useTiming((s) => s.cars.size)
  const openInCar = () => {
    const { favourites, cars } = useTiming.getState()
    setInCar(favourites[0] ?? [...cars.values()].find((c) => c.overallPosition === 1)?.number ?? [...cars.keys()][0] ?? null)
  }
  return (
    <section className="page timing-page">
      <Header canWrite={canWrite} />
      <div className="timing-tabs" role="tablist">
        {(['board', 'log', 'flags'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t === 'board' ? 'Board' : t === 'log' ? 'Control log' : 'Flags'}
          </button>
        ))}
        <span className="spacer" />
        <button onClick={openInCar} disabled={!carCount}>
          In-car view
        </button>
      </div>
      {connection !== 'open' && <p className="hint">Connecting…</p>}
      {tab === 'board' && (hasSession && carCount ? <><BoardTools /><Board /></> : <p className="hint empty-board">No cars yet. The board fills as soon as the timing source sends its entry list.</p>)}
      {tab === 'log' && <ControlLogTab canWrite={canWrite} />}
      {tab === 'flags' && <FlagsTab />}
      {inCar && <InCarPicker number={inCar} onPick={setInCar} onClose={() => setInCar(null)} />}
    </section>
  )
}

function InCarPicker({ number, onPick, onClose }: { number: string; onPick: (n: string) => void; onClose: () => void }) {
  const numbers = useTiming((s) => [...s.cars.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).join(','))
  return (
    <>
      <InCarView number={number} onClose={onClose} />
      <select className="incar-pick" value={number} onChange={(e) => onPick(e.target.value)} aria-label="Car for the in-car view">
        {numbers.split(',').filter(Boolean).map((n) => (
          <option key={n} value={n}>
            #{n}
          </option>
        ))}
      </select>
    </>
  )
}

function Header({ canWrite }: { canWrite: boolean }) {
  const session = useTiming((s) => s.session)
  const source = useTiming((s) => s.source)
  const delayMs = useTiming((s) => s.delayMs)
  const setDelay = useTiming((s) => s.setDelay)
  const flag = session?.currentFlag ?? 0
  return (
    <header className={`timing-head ${flagClass(flag)}`}>
      <div className="session-name">
        <h1>{session?.sessionName || session?.eventName || 'Live timing'}</h1>
        <span className="hint">
          {source ? `${source.spec} · ${source.state}${source.detail ? ` · ${source.detail}` : ''}` : ''}
          {source && source.broken > 0 ? ` · ${source.broken} broken lines skipped` : ''}
        </span>
      </div>
      <div className="flag" aria-label="Track flag">
        {flagName(flag)}
      </div>
      <dl className="clocks">
        <div>
          <dt>To go</dt>
          <dd>{session?.lapsToGo && session.lapsToGo !== 9999 ? `${session.lapsToGo} laps` : (session?.timeToGo ?? '')}</dd>
        </div>
        <div>
          <dt>Race</dt>
          <dd>{session?.runningRaceTime ?? ''}</dd>
        </div>
        <div>
          <dt>Local</dt>
          <dd>{session?.localTimeOfDay ?? ''}</dd>
        </div>
      </dl>
      <label className="delay" title="Delays every element, to sync with a TV or stream">
        Delay{' '}
        <input type="number" min={0} max={600} step={1} value={delayMs / 1000} onChange={(e) => setDelay(Number(e.target.value) * 1000)} aria-label="Broadcast delay in seconds" /> s
      </label>
      {canWrite && <SourcePicker />}
    </header>
  )
}

function SourcePicker() {
  const transport = useTransport()
  const source = useTiming((s) => s.source)
  const [spec, setSpec] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [recordings, setRecordings] = useState<string[]>([])
  useEffect(() => {
    transport.call('timing.recordings', {}).then((r) => setRecordings(r.filter((x) => x.file.endsWith('.txt') || x.file.endsWith('.jsonl')).map((x) => x.file)), () => undefined)
  }, [transport, source?.spec])
  const apply = (s: string) =>
    transport.call('timing.source.set', { spec: s }).then(
      () => setError(null),
      (e: Error) => setError(e.message),
    )
  return (
    <form
      className="source-picker"
      onSubmit={(e) => {
        e.preventDefault()
        if (spec.trim()) void apply(spec.trim())
      }}
    >
      <input list="timing-sources" value={spec} placeholder={source?.spec ?? 'generator'} onChange={(e) => setSpec(e.target.value)} aria-label="Timing source" size={28} />
      <datalist id="timing-sources">
        <option value="generator" />
        <option value="rmonitor:127.0.0.1:50000" />
        <option value="redmist:https://api.redmist.racing/status/event-status#1" />
        <option value="none" />
        {recordings.map((f) => (
          <option key={f} value={`replay:${f}@max`} />
        ))}
      </datalist>
      <button type="submit">Switch</button>
      {error && <span className="error">{error}</span>}
    </form>
  )
}

function BoardTools() {
  const group = useTiming((s) => s.group)
  const sort = useTiming((s) => s.sort)
  const search = useTiming((s) => s.search)
  const { setGroup, setSort, setSearch } = useTiming.getState()
  return (
    <div className="toolbar board-tools">
      <div className="seg" role="group" aria-label="Grouping">
        <button className={group === 'overall' ? 'active' : ''} onClick={() => setGroup('overall')}>
          Overall
        </button>
        <button className={group === 'class' ? 'active' : ''} onClick={() => setGroup('class')}>
          Class
        </button>
      </div>
      <div className="seg" role="group" aria-label="Sort">
        <button className={sort === 'auto' ? 'active' : ''} onClick={() => setSort('auto')} title="Fastest for practice and qualifying, position otherwise">
          Auto
        </button>
        <button className={sort === 'position' ? 'active' : ''} onClick={() => setSort('position')}>
          Position
        </button>
        <button className={sort === 'fastest' ? 'active' : ''} onClick={() => setSort('fastest')}>
          Fastest
        </button>
      </div>
      <input type="search" placeholder="Car number or name" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search cars" />
    </div>
  )
}
