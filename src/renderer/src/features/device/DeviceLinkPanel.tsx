import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react'
import type { DeviceStatus, DeviceTrafficEntry, SerialPortChoice } from '../../../../shared/ui-api/index.ts'
import { DEVICE_SIM_BUTTONS, DEVICE_SIM_FAULTS } from '../../../../shared/device-sim.ts'
import { can, type Principal } from '../../../../shared/auth.ts'
import { useSession } from '../../stores/session.ts'
import { useConnectionState, useTopic, useTransport } from '../../transport/context.tsx'
import './device.css'

// The line to the camera controller (device room): link state, driver and port, the built-in
// emulator's controls, VISCA extras, and the decoded traffic on the line.

const TRAFFIC_KEEP = 300
const BAUDS = [9600, 19200, 38400, 57600, 115200]

export function DeviceLinkPanel() {
  const transport = useTransport()
  const connection = useConnectionState()
  const [status, setStatus] = useState<DeviceStatus | null>(null)
  const [traffic, setTraffic] = useState<DeviceTrafficEntry[]>([])
  const [error, setError] = useState<string | null>(null)
  const user = useSession((st) => st.user)
  // Changing the source or driving the emulator needs Device_rw (the core checks it too).
  const readOnly = !user || !can(user as Principal, 'Device_rw') ? (user?.username ? `Your role (${user.role}) can watch the controller link but not change it.` : 'Log in to change the controller source.') : null

  useTopic('device', {}, (e) => {
    if (e.type === 'status') setStatus(e.status)
    else setTraffic((t) => [...t, ...e.entries].slice(-TRAFFIC_KEEP))
  })

  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setError(null)
      try {
        await fn()
      } catch (err) {
        setError((err as Error).message)
      }
    },
    [],
  )

  if (connection !== 'open' && !status) return null
  return (
    <div className="device-link">
      {error && <p className="error" role="alert">{error}</p>}
      {status && <LinkCard status={status} />}
      {readOnly && status && <p className="hint">{readOnly}</p>}
      {status && !readOnly && <SourceCard status={status} run={run} />}
      {status?.sim && !readOnly && <EmulatorCard status={status} run={run} />}
      {status?.protocol === 'visca' && status.link.state === 'connected' && <ViscaExtras />}
      <TrafficCard entries={traffic} onClear={() => setTraffic([])} />
      {!status && <p className="hint">Reading the device status… ({transport.kind})</p>}
    </div>
  )
}

function LinkCard({ status }: { status: DeviceStatus }) {
  const s = status.link.state
  return (
    <div className="card device-link-card" data-testid="device-link">
      <h2>
        <span className={`link-${s}`}>
          <span className="dot" />
        </span>{' '}
        Controller link: <span data-testid="device-link-state">{s}</span>
      </h2>
      <p>{status.link.detail}</p>
      <dl className="device-facts">
        <dt>Source</dt>
        <dd>
          <code>{status.source}</code>
        </dd>
        <dt>Driver</dt>
        <dd>{status.protocol ? status.protocol.toUpperCase() : '—'}</dd>
        <dt>Port</dt>
        <dd>{status.port ?? '—'}</dd>
        <dt>Device</dt>
        <dd>{status.device ? `${status.device.model}, firmware ${status.device.firmware}` : '—'}</dd>
        <dt>Reconnects</dt>
        <dd>{status.reconnects}</dd>
        {status.lastError && (
          <>
            <dt>Last problem</dt>
            <dd className="error">{status.lastError}</dd>
          </>
        )}
        <dt>USB hotplug</dt>
        <dd>{status.hotplug ? 'watching' : 'off (reconnects by retrying)'}</dd>
      </dl>
    </div>
  )
}

type Run = (fn: () => Promise<unknown>) => Promise<void>

function splitSource(source: string): { driver: string; path: string; baud: number } {
  const m = /^(pcp|visca):(.+)@(\d+)$/.exec(source)
  if (m) return { driver: m[1]!, path: m[2]!, baud: Number(m[3]) }
  return { driver: source, path: '', baud: 115200 }
}

function SourceCard({ status, run }: { status: DeviceStatus; run: Run }) {
  const transport = useTransport()
  const current = splitSource(status.source)
  const [driver, setDriver] = useState(current.driver)
  const [path, setPath] = useState(current.path)
  const [baud, setBaud] = useState(current.baud)
  useEffect(() => {
    // follow the core when the source changes (another client, the emulator switch)
    const next = splitSource(status.source)
    setDriver(next.driver)
    if (next.path) setPath(next.path)
    setBaud(next.baud)
  }, [status.source])
  const [ports, setPorts] = useState<SerialPortChoice[] | null>(null)
  const [portsError, setPortsError] = useState<string | null>(null)
  const lastHardware = useRef<string | null>(status.sim ? null : status.source)
  if (!status.sim) lastHardware.current = status.source

  const listPorts = useCallback(() => {
    transport.call('device.ports', {}).then(
      (p) => {
        setPorts(p)
        setPortsError(null)
      },
      (err: Error) => setPortsError(err.message),
    )
  }, [transport])
  useEffect(listPorts, [listPorts])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const source = driver === 'pcp' || driver === 'visca' ? `${driver}:${path}@${baud}` : driver
    void run(() => transport.call('device.setSource', { source }))
  }
  const useEmulator = (on: boolean) => {
    const source = on ? 'sim' : (lastHardware.current ?? 'auto')
    void run(() => transport.call('device.setSource', { source }))
  }
  const serial = driver === 'pcp' || driver === 'visca'

  return (
    <div className="card">
      <h2>Driver and port</h2>
      <label className="device-switch">
        <input type="checkbox" checked={!!status.sim} onChange={(e) => useEmulator(e.target.checked)} data-testid="emulator-switch" /> Use the built-in emulator
        (a PCP controller inside Pitwall)
      </label>
      <form className="device-source" onSubmit={submit}>
        <label>
          Driver{' '}
          <select value={driver} onChange={(e) => setDriver(e.target.value)} aria-label="Driver">
            <option value="sim">Built-in emulator</option>
            <option value="auto">Auto-detect (USB serial)</option>
            <option value="pcp">PCP controller</option>
            <option value="visca">Sony VISCA camera</option>
          </select>
        </label>
        {serial && (
          <>
            <label>
              Port{' '}
              <input list="device-ports" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/dev/ttyUSB0 or COM3" required aria-label="Port" />
            </label>
            <datalist id="device-ports">
              {ports?.map((p) => (
                <option key={p.path} value={p.path}>
                  {[p.manufacturer, p.vendorId && `${p.vendorId}:${p.productId}`, p.known && 'known adapter'].filter(Boolean).join(', ')}
                </option>
              ))}
            </datalist>
            <label>
              Baud{' '}
              <select value={baud} onChange={(e) => setBaud(Number(e.target.value))} aria-label="Baud">
                {BAUDS.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        <button type="submit">Connect</button>
        <button type="button" onClick={listPorts}>
          Rescan ports
        </button>
      </form>
      {portsError ? (
        <p className="hint">Serial ports cannot be listed here: {portsError}</p>
      ) : (
        ports && (
          <p className="hint">
            {ports.length === 0 ? 'No serial ports found.' : `${ports.length} serial port(s): ${ports.map((p) => `${p.path}${p.known ? ' (known adapter)' : ''}`).join(', ')}.`} Auto-detect tries the known
            adapters (FTDI, CH340, CP210x and config.device.usbIds), PCP at 115200 first, then VISCA at 9600.
          </p>
        )
      )}
    </div>
  )
}

function EmulatorCard({ status, run }: { status: DeviceStatus; run: Run }) {
  const transport = useTransport()
  const [fault, setFault] = useState(status.sim!.fault)
  const [delay, setDelay] = useState(800)
  const coreFault = status.sim!.fault
  useEffect(() => setFault(coreFault), [coreFault]) // follow the core only when its fault really changes
  const sim = (p: Parameters<typeof transport.call<'device.sim'>>[1]) => run(() => transport.call('device.sim', p))
  return (
    <div className="card">
      <h2>Built-in emulator</h2>
      <p className="hint">The controller's own buttons: what you press here reaches every client as a change made on the device.</p>
      <div className="device-buttons">
        {DEVICE_SIM_BUTTONS.map((b) => (
          <button key={b} type="button" onClick={() => void sim({ action: 'press', button: b })} data-testid={`press-${b}`}>
            {BUTTON_LABELS[b]}
          </button>
        ))}
      </div>
      <div className="device-buttons">
        <label>
          Fault{' '}
          <select value={fault} onChange={(e) => setFault(e.target.value)} aria-label="Fault">
            {DEVICE_SIM_FAULTS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        {fault === 'slow' && (
          <label>
            Delay (ms) <input type="number" min={0} max={60000} value={delay} onChange={(e) => setDelay(Number(e.target.value))} />
          </label>
        )}
        <button type="button" onClick={() => void sim({ action: 'fault', fault: fault as (typeof DEVICE_SIM_FAULTS)[number], delayMs: fault === 'slow' ? delay : undefined })}>
          Inject
        </button>
        <button type="button" onClick={() => void sim({ action: status.sim!.attached ? 'unplug' : 'plug' })}>
          {status.sim!.attached ? 'Pull the cable' : 'Plug the cable in'}
        </button>
        <button type="button" onClick={() => void sim({ action: 'reboot' })}>
          Power cycle
        </button>
      </div>
    </div>
  )
}

const BUTTON_LABELS: Record<(typeof DEVICE_SIM_BUTTONS)[number], string> = {
  light1: 'Light 1 button',
  light2: 'Light 2 button',
  record: 'Rec button',
  main: 'Main camera button',
  head2: 'Head 2 plug',
}

/** What a VISCA camera reports about its extras (the controls themselves are the camera section's "Device controls"). */
function ViscaExtras() {
  const transport = useTransport()
  const [values, setValues] = useState<Record<string, unknown> | null>(null)
  useEffect(() => {
    const refresh = () => transport.call('device.extras', {}).then((r) => setValues(r.values), () => undefined)
    refresh()
    const t = setInterval(refresh, 1000)
    return () => clearInterval(t)
  }, [transport])
  if (!values) return null
  const v = (k: string, unit = '') => (values[k] === undefined ? '?' : `${String(values[k])}${unit}`)
  return (
    <div className="card" data-testid="visca-extras">
      <h2>VISCA camera</h2>
      <dl className="device-facts">
        <dt>Power</dt>
        <dd>{v('power')}</dd>
        <dt>Zoom</dt>
        <dd>{v('zoom', ' %')}</dd>
        <dt>Focus</dt>
        <dd>
          {v('focus-mode')}
          {values.focus !== undefined ? `, at ${v('focus', ' %')}` : ''}
        </dd>
        <dt>Last preset</dt>
        <dd>{v('preset')}</dd>
      </dl>
      <p className="hint">Zoom, focus, presets and power are in "Device controls" above (docs/protocols/visca.md §7).</p>
    </div>
  )
}

function TrafficCard({ entries, onClear }: { entries: DeviceTrafficEntry[]; onClear: () => void }) {
  const [follow, setFollow] = useState(true)
  const [hideHeartbeat, setHideHeartbeat] = useState(true)
  const bottom = useRef<HTMLDivElement>(null)
  const shown = hideHeartbeat ? entries.filter((e) => !isHeartbeat(e)) : entries
  useEffect(() => {
    if (follow) bottom.current?.scrollIntoView({ block: 'nearest' })
  }, [shown.length, follow])
  return (
    <div className="card">
      <div className="page-head">
        <h2>Traffic on the line</h2>
        <div className="toolbar">
          <label>
            <input type="checkbox" checked={hideHeartbeat} onChange={(e) => setHideHeartbeat(e.target.checked)} /> Hide heartbeats
          </label>
          <label>
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
          <button type="button" onClick={onClear}>
            Clear
          </button>
        </div>
      </div>
      <div className="device-traffic" role="log" data-testid="device-traffic">
        {shown.length === 0 && <p className="hint">Nothing yet (the last {TRAFFIC_KEEP} frames are kept).</p>}
        {shown.map((e, i) => (
          <div key={`${e.t}-${i}`} className={`traffic-line traffic-${e.dir}`}>
            <time>{new Date(e.t).toLocaleTimeString()}</time>
            <span className="traffic-dir">{DIR[e.dir]}</span>
            <code className="traffic-raw">{e.raw}</code>
            <span className="traffic-text">{e.text}</span>
          </div>
        ))}
        <div ref={bottom} />
      </div>
    </div>
  )
}

const DIR: Record<DeviceTrafficEntry['dir'], string> = { tx: '→ dev', rx: '← dev', error: '✕', note: '·' }

/** PCP PING and its answer; the VISCA power inquiry and its answer. */
function isHeartbeat(e: DeviceTrafficEntry): boolean {
  return /\bPING\b/.test(e.raw) || e.text.includes('cam1-exists?')
}
