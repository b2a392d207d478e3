import { useState } from 'react'
import type { DesktopSettings, UpdateState } from '../../../../shared/ui-api/index.ts'
import { useDesktop } from '../../stores/desktop.ts'
import { useTransport } from '../../transport/context.tsx'

const SWITCHES: Array<[keyof DesktopSettings, string]> = [
  ['closeToTray', 'Closing the window keeps Pitwall running in the tray (the LAN servers stay up)'],
  ['startMinimized', 'Start minimized to the tray'],
  ['openAtLogin', 'Start Pitwall when I log in'],
  ['notifyDirectMessages', 'Notify me of direct messages'],
  ['notifyFlagChanges', 'Notify me of flag changes'],
  ['muted', 'Mute all notifications'],
]

/** Desktop-only settings and updates (the desktop window gets them over IPC; browsers never see this). */
export function DesktopCard() {
  const info = useDesktop((s) => s.info)
  const transport = useTransport()
  const [error, setError] = useState<string | null>(null)
  if (!info) return null
  const run = (p: Promise<unknown>) => p.then(() => setError(null), (e: Error) => setError(e.message))
  return (
    <div className="card">
      <h2>Desktop</h2>
      {SWITCHES.map(([key, label]) => (
        <label key={key} className="switch">
          <input type="checkbox" checked={info.settings[key]} onChange={(e) => run(transport.call('desktop.settings.set', { [key]: e.target.checked }))} /> {label}
        </label>
      ))}
      <h3>Updates</h3>
      <p>
        Pitwall {info.version}: {describeUpdate(info.update)}
      </p>
      {info.update.state === 'downloading' && <progress max={100} value={info.update.percent} aria-label="Download progress" />}
      <div className="toolbar">
        {['idle', 'up-to-date', 'error'].includes(info.update.state) && (
          <button type="button" onClick={() => run(transport.call('desktop.update.check', {}))}>
            Check for updates
          </button>
        )}
        {info.update.state === 'available' && (
          <button type="button" onClick={() => run(transport.call('desktop.update.download', {}))}>
            Download {info.update.version}
          </button>
        )}
        {info.update.state === 'downloaded' && (
          <button type="submit" onClick={() => run(transport.call('desktop.update.install', {}))}>
            Restart to update
          </button>
        )}
      </div>
      {error && <p className="error">{error}</p>}
    </div>
  )
}

export function describeUpdate(u: UpdateState): string {
  switch (u.state) {
    case 'disabled':
      return u.reason
    case 'idle':
      return 'updates are checked at start and every few hours.'
    case 'checking':
      return 'checking for updates…'
    case 'up-to-date':
      return `up to date (checked ${new Date(u.lastCheck).toLocaleTimeString()}).`
    case 'available':
      return `version ${u.version} is available.`
    case 'downloading':
      return `downloading ${u.version}… ${u.percent}%`
    case 'downloaded':
      return `version ${u.version} is ready: restart to update.`
    case 'error':
      return `the last update check failed: ${u.message}. Pitwall keeps working; it will try again later.`
  }
}
