import { type FormEvent, useEffect, useState } from 'react'
import { RUNPLAN_KINDS, type RunPlanItem, type RunPlanKind } from '../../../../shared/runplan.ts'
import { Empty } from '../../components/Empty.tsx'
import { useConnectionState, useTopic, useTransport } from '../../transport/context.tsx'
import { useRunPlan } from './store.ts'

/**
 * The team's run plan (stints, driver changes, fuel notes): one shared list, the same one RPC clients
 * edit on /hubs/rpc. Every change made anywhere shows up here live; edits need Timing_rw.
 */
export function RunPlanPage() {
  const transport = useTransport()
  const connection = useConnectionState()
  const { items, stale, apply } = useRunPlan()
  const [error, setError] = useState<string | null>(null)
  useTopic('runplan', {}, apply)

  useEffect(() => {
    if (stale && connection === 'open') transport.call('runplan.list', {}).then((list) => apply({ type: 'snapshot', list }), (e: Error) => setError(e.message))
  }, [stale, connection, transport, apply])

  const run = (p: Promise<unknown>) =>
    p.then(
      () => setError(null),
      (e: Error) => setError(e.message),
    )

  return (
    <section className="page runplan-page">
      <header className="page-head">
        <h1>Run plan</h1>
        <span style={{ color: "var(--muted)" }}>{items.length} item(s) · shared with every connected client</span>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <Empty title="No run plan yet">
          <p>Add the first stint, driver change or fuel note below. Everyone on the team sees it at once, in the app and in RPC clients.</p>
        </Empty>
      ) : (
        <table className="users runplan">
          <thead>
            <tr>
              <th>#</th>
              <th>Kind</th>
              <th>Driver</th>
              <th>Start lap</th>
              <th>Laps</th>
              <th>Fuel (L)</th>
              <th>Note</th>
              <th>By</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((item, i) => (
              <Row
                key={item.id}
                index={i + 1}
                item={item}
                onSave={(patch) => run(transport.call('runplan.update', { id: item.id, version: item.version, ...patch }))}
                onDelete={() => run(transport.call('runplan.remove', { id: item.id, version: item.version }))}
              />
            ))}
          </tbody>
        </table>
      )}
      <AddForm onAdd={(kind, driver, laps, fuel, note) => run(transport.call('runplan.add', { kind, driver, laps, fuelLiters: fuel, note }))} />
    </section>
  )
}

const num = (s: string): number | null => (s.trim() === '' || !Number.isFinite(Number(s)) ? null : Number(s))
const str = (n: number | null) => (n === null ? '' : String(n))

type Patch = Partial<Pick<RunPlanItem, 'kind' | 'driver' | 'startLap' | 'laps' | 'fuelLiters' | 'note'>>

function Row({ index, item, onSave, onDelete }: { index: number; item: RunPlanItem; onSave: (p: Patch) => void; onDelete: () => void }) {
  const [draft, setDraft] = useState({ kind: item.kind, driver: item.driver, startLap: str(item.startLap), laps: str(item.laps), fuel: str(item.fuelLiters), note: item.note })
  // A newer version from the server replaces the draft.
  useEffect(() => setDraft({ kind: item.kind, driver: item.driver, startLap: str(item.startLap), laps: str(item.laps), fuel: str(item.fuelLiters), note: item.note }), [item])
  const dirty =
    draft.kind !== item.kind || draft.driver !== item.driver || draft.startLap !== str(item.startLap) || draft.laps !== str(item.laps) || draft.fuel !== str(item.fuelLiters) || draft.note !== item.note
  const save = () => onSave({ kind: draft.kind, driver: draft.driver, startLap: num(draft.startLap), laps: num(draft.laps), fuelLiters: num(draft.fuel), note: draft.note })
  const field = (k: keyof typeof draft, label: string, width = '6em') => (
    <input aria-label={`${label} of item ${index}`} style={{ width }} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
  )
  return (
    <tr data-id={item.id}>
      <td>{index}</td>
      <td>
        <select aria-label={`Kind of item ${index}`} value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as RunPlanKind })}>
          {RUNPLAN_KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </td>
      <td>{field('driver', 'Driver', '9em')}</td>
      <td>{field('startLap', 'Start lap', '4em')}</td>
      <td>{field('laps', 'Laps', '4em')}</td>
      <td>{field('fuel', 'Fuel', '5em')}</td>
      <td>{field('note', 'Note', '14em')}</td>
      <td style={{ color: "var(--muted)" }}>{item.updatedBy ?? '—'}</td>
      <td>
        <button type="button" disabled={!dirty} onClick={save}>
          Save
        </button>{' '}
        <button type="button" className="danger" onClick={onDelete} aria-label={`Delete item ${index}`}>
          Delete
        </button>
      </td>
    </tr>
  )
}

function AddForm({ onAdd }: { onAdd: (kind: RunPlanKind, driver: string, laps: number | null, fuel: number | null, note: string) => void }) {
  const [kind, setKind] = useState<RunPlanKind>('stint')
  const [driver, setDriver] = useState('')
  const [laps, setLaps] = useState('')
  const [fuel, setFuel] = useState('')
  const [note, setNote] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onAdd(kind, driver, num(laps), num(fuel), note)
    setDriver('')
    setLaps('')
    setFuel('')
    setNote('')
  }
  return (
    <form className="toolbar runplan-add" onSubmit={submit} aria-label="Add to the run plan">
      <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value as RunPlanKind)}>
        {RUNPLAN_KINDS.map((k) => (
          <option key={k}>{k}</option>
        ))}
      </select>
      <input aria-label="Driver" placeholder="Driver" value={driver} onChange={(e) => setDriver(e.target.value)} />
      <input aria-label="Laps" placeholder="Laps" style={{ width: '5em' }} value={laps} onChange={(e) => setLaps(e.target.value)} />
      <input aria-label="Fuel" placeholder="Fuel (L)" style={{ width: '6em' }} value={fuel} onChange={(e) => setFuel(e.target.value)} />
      <input aria-label="Note" placeholder="Note" value={note} onChange={(e) => setNote(e.target.value)} />
      <button type="submit">Add</button>
    </form>
  )
}
