import { useEffect, useRef, useState } from 'react'
import { Empty } from '../../components/Empty.tsx'
import { useConnectionState, useTopic, useTransport } from '../../transport/context.tsx'
import { LOG_LEVELS, type LogLevel, levelAtLeast, useLogs } from '../../stores/logs.ts'

/** Recent log lines, then live ones (topic `logs`), filtered by level. */
export function LogsPage() {
  const transport = useTransport()
  const connection = useConnectionState()
  const { lines, minLevel, load, add, setMinLevel } = useLogs()
  const [error, setError] = useState<string | null>(null)
  const [follow, setFollow] = useState(true)
  const bottom = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (connection !== 'open') return
    transport.call('logs.recent', { limit: 500 }).then(
      (batch) => {
        setError(null)
        load(batch)
      },
      (err: Error) => setError(err.message),
    )
  }, [transport, connection, load])
  useTopic('logs', {}, add)

  const shown = lines.filter((l) => levelAtLeast(l.level, minLevel))
  useEffect(() => {
    if (follow) bottom.current?.scrollIntoView({ block: 'end' })
  }, [shown.length, follow])

  return (
    <section className="page logs-page">
      <header className="page-head">
        <h1>Logs</h1>
        <div className="toolbar">
          <label>
            Level{' '}
            <select value={minLevel} onChange={(e) => setMinLevel(e.target.value as LogLevel)} aria-label="Minimum level">
              {LOG_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l} and above
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
        </div>
      </header>
      {error && <p className="error">Cannot read the logs: {error}</p>}
      {shown.length === 0 ? (
        <Empty title="No log lines">
          <p>{lines.length ? 'No line at this level yet: choose a lower level above.' : 'Nothing logged yet. Lines appear here as the server writes them; the full log file is in the data folder (logs/pitwall.log).'}</p>
        </Empty>
      ) : (
        <div className="log-lines" role="log">
          {shown.map((l) => (
            <div key={l.seq} className={`log-line level-${l.level}`}>
              <time>{new Date(l.time).toLocaleTimeString()}</time>
              <span className="log-level">{l.level}</span>
              <span className="log-area">{l.area}</span>
              <span className="log-msg">{l.msg}</span>
            </div>
          ))}
          <div ref={bottom} />
        </div>
      )}
    </section>
  )
}
