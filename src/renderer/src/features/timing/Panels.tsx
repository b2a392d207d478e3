import { type FormEvent, useEffect, useState } from 'react'
import type { InCarPayload } from '../../../../shared/timing.ts'
import { useTransport } from '../../transport/context.tsx'
import { classColour, duration, flagClass, flagName } from './format.ts'
import { useTiming } from './store.ts'

/** Flag periods of the session: flag, start, end, duration. */
export function FlagsTab() {
  const session = useTiming((s) => s.session)
  const flags = session?.flagDurations ?? []
  if (!flags.length) return <p className="hint">No flag periods yet.</p>
  return (
    <table className="flags-table">
      <thead>
        <tr>
          <th>Flag</th>
          <th>Start</th>
          <th>End</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {flags.map((f, i) => (
          <tr key={i}>
            <td>
              <span className={`flag-chip ${flagClass(f.flag)}`}>{flagName(f.flag)}</span>
            </td>
            <td>{new Date(f.startTime).toLocaleTimeString()}</td>
            <td>{f.endTime ? new Date(f.endTime).toLocaleTimeString() : 'now'}</td>
            <td>{duration(f.startTime, f.endTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Control log: table, search by car numbers (comma-separated), manual entry for operators. */
export function ControlLogTab({ canWrite }: { canWrite: boolean }) {
  const transport = useTransport()
  const log = useTiming((s) => s.controlLog)
  const [q, setQ] = useState('')
  const [error, setError] = useState<string | null>(null)
  const cars = q.split(/[\s,]+/).filter(Boolean)
  const shown = cars.length ? log.filter((e) => cars.includes(e.car1) || cars.includes(e.car2)) : log
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault()
    const f = new FormData(ev.currentTarget)
    const form = ev.currentTarget
    transport
      .call('timing.controllog.add', {
        corner: String(f.get('corner') ?? ''),
        car1: String(f.get('car1') ?? ''),
        isCar1Highlighted: f.get('c1h') === 'on',
        car2: String(f.get('car2') ?? ''),
        note: String(f.get('note') ?? ''),
        penaltyAction: String(f.get('penaltyAction') ?? ''),
        status: String(f.get('status') ?? ''),
      })
      .then(
        () => {
          setError(null)
          form.reset()
        },
        (e: Error) => setError(e.message),
      )
  }
  return (
    <div className="control-log">
      <div className="toolbar">
        <input placeholder="Cars, e.g. 12, 7" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search the control log by car" />
      </div>
      {shown.length === 0 ? (
        <p className="hint">{log.length ? 'No entry for those cars.' : 'No control-log entries yet.'}</p>
      ) : (
        <table className="log-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Corner</th>
              <th>Car 1</th>
              <th>Car 2</th>
              <th>Note</th>
              <th>Status</th>
              <th>Penalty</th>
              <th>Other</th>
            </tr>
          </thead>
          <tbody>
            {[...shown].reverse().map((e) => (
              <tr key={e.orderId}>
                <td>{e.timestamp ? new Date(e.timestamp).toLocaleTimeString() : ''}</td>
                <td>{e.corner}</td>
                <td className={e.isCar1Highlighted ? 'at-fault' : ''}>{e.car1}</td>
                <td className={e.isCar2Highlighted ? 'at-fault' : ''}>{e.car2}</td>
                <td>{e.note}</td>
                <td>{e.status}</td>
                <td>{e.penaltyAction}</td>
                <td>{e.otherNotes}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite && (
        <form className="log-form" onSubmit={submit}>
          <h3>Add an entry</h3>
          <input name="corner" placeholder="Corner" maxLength={128} />
          <input name="car1" placeholder="Car 1" maxLength={5} size={5} />
          <label>
            <input type="checkbox" name="c1h" /> at fault
          </label>
          <input name="car2" placeholder="Car 2" maxLength={5} size={5} />
          <input name="note" placeholder="Note" maxLength={128} />
          <input name="status" placeholder="Status" maxLength={30} />
          <input name="penaltyAction" placeholder="Penalty (Warning, 1 Lap, Black Flag…)" maxLength={30} />
          <button type="submit">Add</button>
          {error && <span className="error">{error}</span>}
        </form>
      )}
    </div>
  )
}

/** Full-screen in-car view: own position, flag, and the cars around (ahead/behind in class, ahead overall). */
export function InCarView({ number, onClose }: { number: string; onClose: () => void }) {
  const transport = useTransport()
  const version = useTiming((s) => s.carsVersion)
  const colours = useTiming((s) => s.session?.classColors)
  const [p, setP] = useState<InCarPayload | null>(null)
  const [at, setAt] = useState(0)
  useEffect(() => {
    // At most one request a second, whatever the patch rate.
    const wait = Math.max(0, 1000 - (Date.now() - at))
    const t = setTimeout(() => {
      setAt(Date.now())
      transport.call('timing.incar', { number }).then(
        (r) => setP(r.payload),
        () => setP(null),
      )
    }, wait)
    return () => clearTimeout(t)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [transport, number, version])
  const labels = ['Ahead in class', 'Ahead overall', 'You', 'Behind in class']
  // Leaving the view leaves full screen too.
  useEffect(() => () => void (document.fullscreenElement && document.exitFullscreen().catch(() => undefined)), [])
  return (
    <div className={`incar ${flagClass(p?.flag)}`} role="dialog" aria-label={`In-car view, car ${number}`}>
      <button className="incar-close" onClick={onClose} aria-label="Close the in-car view">
        ✕
      </button>
      {typeof document !== 'undefined' && document.fullscreenEnabled && (
        <button className="incar-full" onClick={() => (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()).catch(() => undefined)}>
          Full screen
        </button>
      )}
      {!p ? (
        <p className="incar-wait">Car {number} has no position yet.</p>
      ) : (
        <>
          <div className="incar-head">
            <div className="incar-pos">
              P{p.classPosition}
              <small>in class</small>
            </div>
            <div className="incar-pos">
              P{p.overallPosition}
              <small>overall</small>
            </div>
            <div className="incar-flag">{flagName(p.flag)}</div>
          </div>
          <div className="incar-cars">
            {p.cars.map((c, i) => (
              <div key={i} className={`incar-car${i === 2 ? ' own' : ''}`}>
                <div className="incar-label">{labels[i]}</div>
                {c ? (
                  <>
                    <div className="incar-num">
                      <span className="class-bar" style={{ background: classColour(c.class, colours) }} />#{c.number}
                    </div>
                    <div className="incar-gap">{c.gap}</div>
                    <div className="incar-last">{c.lastLap}</div>
                    <div className={`incar-gl ${c.gainLoss.startsWith('-') ? 'down' : 'up'}`}>{c.gainLoss}</div>
                    <div className="incar-who">{c.driver || c.team}</div>
                  </>
                ) : (
                  <div className="incar-none">—</div>
                )}
              </div>
            ))}
          </div>
        </>
      )}
    </div>
  )
}
