import { useEffect, useRef, useState } from 'react'
import { CAMERA_KEYS, type CameraGroup, type CameraKey, type CameraKeyDef, type CameraValue, type ExtraControl } from '../../../../shared/camera-keys.ts'
import { useSession } from '../../stores/session.ts'
import { useTransport } from '../../transport/context.tsx'
import { useCamera } from './camera-store.ts'
import { disabledReason } from './control-reasons.ts'

const GROUPS: Array<{ id: CameraGroup; title: string }> = [
  { id: 'camera', title: 'Camera heads' },
  { id: 'recording', title: 'Recording' },
  { id: 'image', title: 'Image' },
  { id: 'auto', title: 'Automatic modes' },
  { id: 'video', title: 'Video' },
]

/** Sends a write through the UI API; the page shows the value once the device has confirmed it (topic). */
function useSetter(): (changes: Partial<Record<CameraKey, unknown>>) => void {
  const transport = useTransport()
  const { pending, settled } = useCamera()
  return (changes) => {
    const keys = Object.keys(changes) as CameraKey[]
    pending(keys)
    transport.call('camera.set', { changes }).then(
      (r) => settled(keys, r.errors),
      (err: Error) => settled(keys, keys.map((key) => ({ error: 'Not sent', key, message: err.message }))),
    )
  }
}

/** A control for every v1 key, grouped, live, disabled with the reason when the user may not use it. */
export function CameraControls() {
  const { snapshot, state, link } = useCamera()
  const user = useSession((s) => s.user)
  if (!snapshot) return <p className="hint">Loading the camera state…</p>
  return (
    <div className="camera-groups">
      {GROUPS.map((g) => (
        <fieldset key={g.id} className="card camera-group">
          <legend>{g.title}</legend>
          {g.id === 'recording' && <RecordControl reason={disabledReason(CAMERA_KEYS.find((d) => d.key === 'record')!, snapshot, state, link, user)} />}
          {CAMERA_KEYS.filter((d) => d.group === g.id && d.key !== 'record').map((d) => (
            <KeyControl key={d.key} def={d} reason={disabledReason(d, snapshot, state, link, user)} />
          ))}
        </fieldset>
      ))}
    </div>
  )
}

function Row({ def, reason, children }: { def: CameraKeyDef; reason: string | null; children: React.ReactNode }) {
  const note = useCamera((s) => s.notes[def.key])
  return (
    <div className={`camera-row${reason ? ' disabled' : ''}`} data-key={def.key}>
      <label htmlFor={`cam-${def.key}`} title={def.description}>
        {def.label}
      </label>
      <div className="camera-input">{children}</div>
      <div className="camera-note">
        {reason && <span className="hint reason">{reason}</span>}
        {note && <span className={note.kind === 'error' ? 'error' : 'hint'}>{note.text}</span>}
      </div>
    </div>
  )
}

function KeyControl({ def, reason }: { def: CameraKeyDef; reason: string | null }) {
  const value = useCamera((s) => s.state[def.key]) as CameraValue | undefined
  const cam2 = useCamera((s) => s.state['cam2-exists']) !== false
  const set = useSetter()
  const id = `cam-${def.key}`
  const disabled = reason !== null
  const title = reason ?? def.description
  let input: React.ReactNode
  switch (def.type) {
    case 'boolean':
      input = def.readOnly ? (
        <span className={`pill ${value ? 'ok' : 'error'}`} id={id}>
          {value ? 'yes' : 'no'}
        </span>
      ) : (
        <input id={id} type="checkbox" role="switch" checked={value === true} disabled={disabled} title={title} onChange={(e) => set({ [def.key]: e.target.checked })} />
      )
      break
    case 'integer':
      if (def.key === 'main-camera') {
        input = (
          <select id={id} value={String(value ?? 1)} disabled={disabled} title={title} onChange={(e) => set({ [def.key]: Number(e.target.value) })}>
            <option value="1">Camera 1</option>
            <option value="2" disabled={!cam2}>
              Camera 2{cam2 ? '' : ' (not attached)'}
            </option>
          </select>
        )
      } else input = <Slider id={id} def={def} value={typeof value === 'number' ? value : def.min!} disabled={disabled} title={title} onCommit={(v) => set({ [def.key]: v })} />
      break
    case 'enum':
      input = (
        <select id={id} value={String(value ?? '')} disabled={disabled} title={title} onChange={(e) => set({ [def.key]: e.target.value })}>
          {def.values!.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      )
      break
    case 'action':
      input = (
        <button id={id} type="button" disabled={disabled} title={title} onClick={() => set({ [def.key]: true })}>
          Take snapshot
        </button>
      )
      break
    case 'record':
      input = null
      break
  }
  return (
    <Row def={def} reason={reason}>
      {input}
    </Row>
  )
}

/**
 * A slider that follows the live value unless the user is dragging it; while dragging it sends at most
 * ten writes a second (the v1 docs ask clients to throttle sliders), and always the final value.
 */
function Slider({ id, def, value, disabled, title, onCommit }: { id: string; def: CameraKeyDef; value: number; disabled: boolean; title: string; onCommit: (v: number) => void }) {
  const [draft, setDraft] = useState<number | null>(null)
  const last = useRef(0)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  const send = (v: number) => {
    clearTimeout(timer.current)
    const wait = 100 - (Date.now() - last.current)
    if (wait <= 0) {
      last.current = Date.now()
      onCommit(v)
    } else timer.current = setTimeout(() => send(v), wait)
  }
  const shown = draft ?? value
  return (
    <span className="slider">
      <input
        id={id}
        type="range"
        min={def.min}
        max={def.max}
        step={1}
        value={shown}
        disabled={disabled}
        title={title}
        onChange={(e) => {
          const v = Number(e.target.value)
          setDraft(v)
          send(v)
        }}
        onPointerUp={() => setDraft(null)}
        onKeyUp={() => setDraft(null)}
        onBlur={() => setDraft(null)}
      />
      <output htmlFor={id}>{shown}</output>
    </span>
  )
}

function RecordControl({ reason }: { reason: string | null }) {
  const record = useCamera((s) => s.state.record)
  const set = useSetter()
  const def = CAMERA_KEYS.find((d) => d.key === 'record')!
  const disabled = reason !== null
  return (
    <Row def={def} reason={reason}>
      <span className={`pill record-${record ?? 'off'}`} aria-label="Recording state">
        {record === 'on' ? '● recording' : record === 'pause' ? '❚❚ paused' : '■ stopped'}
      </span>
      <span className="button-group">
        <button type="button" disabled={disabled || record === 'on'} title={reason ?? 'Start recording'} onClick={() => set({ record: record === 'pause' ? 'pause_release' : true })}>
          {record === 'pause' ? 'Resume' : 'Record'}
        </button>
        <button type="button" disabled={disabled || record !== 'on'} title={reason ?? 'Pause recording'} onClick={() => set({ record: 'pause' })}>
          Pause
        </button>
        <button type="button" disabled={disabled || record === 'off'} title={reason ?? 'Stop recording'} onClick={() => set({ record: false })}>
          Stop
        </button>
      </span>
    </Row>
  )
}

/** Controls a device offers beyond the v1 keys (zoom, focus, presets; the simulator's head 2). */
export function ExtraControls({ extras, canUse }: { extras: ExtraControl[]; canUse: string | null }) {
  const transport = useTransport()
  const [error, setError] = useState<string | null>(null)
  const [values, setValues] = useState<Record<string, string | number>>({})
  if (extras.length === 0) return null
  const run = (name: string, args: Record<string, unknown>) =>
    transport.call('camera.command', { name, args }).then(
      () => setError(null),
      (err: Error) => setError(`${name}: ${err.message}`),
    )
  return (
    <fieldset className="card camera-group">
      <legend>Device controls</legend>
      {extras.map((x) => (
        <div className={`camera-row${canUse ? ' disabled' : ''}`} key={x.name}>
          <label title={x.description}>{x.label}</label>
          <div className="camera-input">
            {x.kind === 'action' && (
              <button type="button" disabled={!!canUse} onClick={() => run(x.name, {})}>
                {x.label}
              </button>
            )}
            {x.kind === 'range' && (
              <span className="slider">
                <input
                  type="range"
                  min={x.min}
                  max={x.max}
                  step={x.step ?? 1}
                  disabled={!!canUse}
                  value={Number(values[x.name] ?? x.min ?? 0)}
                  onChange={(e) => setValues({ ...values, [x.name]: Number(e.target.value) })}
                  onPointerUp={() => run(x.name, { value: Number(values[x.name] ?? x.min ?? 0) })}
                  onKeyUp={() => run(x.name, { value: Number(values[x.name] ?? x.min ?? 0) })}
                />
                <output>{values[x.name] ?? x.min ?? 0}</output>
              </span>
            )}
            {x.kind === 'select' && (
              <select
                disabled={!!canUse}
                value={String(values[x.name] ?? '')}
                onChange={(e) => {
                  setValues({ ...values, [x.name]: e.target.value })
                  void run(x.name, { value: e.target.value })
                }}
              >
                <option value="" disabled>
                  choose…
                </option>
                {x.options?.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            )}
          </div>
          <div className="camera-note">{canUse && <span className="hint reason">{canUse}</span>}</div>
        </div>
      ))}
      {error && <p className="error">{error}</p>}
    </fieldset>
  )
}
