import { useEffect, useState } from 'react'
import type { LapRecord } from '../../../../shared/timing.ts'
import { useTransport } from '../../transport/context.tsx'
import { flagName, lapTime } from './format.ts'
import { useTiming } from './store.ts'

/** Laps of one car: a chart (lap time columns, position line, pit markers) and the list. */
export function CarDetails({ number, laps }: { number: string; laps: number }) {
  const transport = useTransport()
  const [list, setList] = useState<LapRecord[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const log = useTiming((s) => s.controlLog).filter((e) => e.car1 === number || e.car2 === number)
  useEffect(() => {
    let live = true
    transport.call('timing.laps', { number }).then(
      (l) => live && setList(l),
      (e: Error) => live && setError(e.message),
    )
    return () => {
      live = false
    }
  }, [transport, number, laps])
  if (error) return <p className="error">Cannot load the laps: {error}</p>
  if (!list) return <p className="hint">Loading laps…</p>
  if (!list.length) return <p className="hint">No completed laps yet.</p>
  return (
    <div className="car-details">
      <LapChart laps={list} />
      <div className="lap-list">
        <table>
          <thead>
            <tr>
              <th>Lap</th>
              <th>Pos</th>
              <th>Cls</th>
              <th>Time</th>
              <th>Pit</th>
              <th>Flag</th>
              <th>Race time</th>
            </tr>
          </thead>
          <tbody>
            {[...list].reverse().map((l) => (
              <tr key={l.lap}>
                <td>{l.lap}</td>
                <td>{l.overallPosition || ''}</td>
                <td>{l.classPosition || ''}</td>
                <td>{lapTime(l.lapTime)}</td>
                <td>{l.pitted ? 'PIT' : ''}</td>
                <td>{l.flag ? flagName(l.flag) : ''}</td>
                <td>{l.totalTime}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {log.length > 0 && (
        <div className="car-log">
          <h3>Control log</h3>
          {log.map((e) => (
            <p key={e.orderId}>
              {e.corner && <b>{e.corner}: </b>}
              {e.note} {e.penaltyAction && <span className="badge pen">{e.penaltyAction}</span>}
            </p>
          ))}
        </div>
      )}
    </div>
  )
}

/** SVG chart: one column per lap (height = lap time), the overall position as a line, pit laps marked. */
export function LapChart({ laps }: { laps: LapRecord[] }) {
  const W = 640
  const H = 160
  const times = laps.map((l) => l.lapTimeMs).filter((t) => t > 0)
  if (!times.length) return null
  const sorted = [...times].sort((a, b) => a - b)
  const lo = sorted[0]! * 0.98
  // Ignore the slowest 5% (pit and yellow laps) for the scale, so racing laps are readable.
  const hi = Math.max(sorted[Math.floor(sorted.length * 0.95)]!, lo + 1000) * 1.02
  const maxPos = Math.max(1, ...laps.map((l) => l.overallPosition))
  const bw = W / laps.length
  const y = (ms: number) => H - Math.max(2, Math.min(H, ((ms - lo) / (hi - lo)) * H))
  const posY = (p: number) => 8 + ((p - 1) / Math.max(1, maxPos - 1)) * (H - 16)
  return (
    <svg className="lap-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Lap times and positions">
      {laps.map((l, i) => (
        <rect key={l.lap} x={i * bw + 1} width={Math.max(1, bw - 2)} y={l.lapTimeMs > 0 ? y(l.lapTimeMs) : H} height={l.lapTimeMs > 0 ? H - y(l.lapTimeMs) : 0} className={l.pitted ? 'bar pit' : 'bar'}>
          <title>{`Lap ${l.lap}: ${lapTime(l.lapTime)}${l.pitted ? ' (pit)' : ''}`}</title>
        </rect>
      ))}
      <polyline className="pos-line" fill="none" points={laps.filter((l) => l.overallPosition > 0).map((l) => `${laps.indexOf(l) * bw + bw / 2},${posY(l.overallPosition)}`).join(' ')} />
    </svg>
  )
}
