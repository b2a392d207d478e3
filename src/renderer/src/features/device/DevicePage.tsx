import { useEffect } from 'react'
import { useSession } from '../../stores/session.ts'
import { useConnectionState, useTopic } from '../../transport/context.tsx'
import { useCamera } from './camera-store.ts'
import { CameraControls, ExtraControls } from './CameraControls.tsx'
import { DeviceLinkPanel } from './DeviceLinkPanel.tsx'

/** The camera controller: link state, a live control for every v1 key, and the device's extra controls. */
export function DevicePage() {
  const connection = useConnectionState()
  const { snapshot, link, apply, reset } = useCamera()
  const user = useSession((s) => s.user)
  useTopic('camera', {}, apply)
  useEffect(() => {
    if (connection !== 'open') reset()
  }, [connection, reset])

  const extrasReason = !snapshot ? null : !user?.username ? 'Log in to use device controls' : snapshot.writable.length === 0 ? `Your role (${user.role}) cannot use device controls` : null
  return (
    <section className="page device-page">
      <header className="page-head">
        <h1>Camera controller</h1>
        {snapshot && (
          <div className={`toolbar link link-${link?.state ?? 'disconnected'}`} aria-label="Controller link">
            <span className="dot" /> {snapshot.controller} controller {link?.state ?? '…'}
            {link?.detail ? <span className="hint"> — {link.detail}</span> : null}
            <span className="hint">· {snapshot.clients} LAN client(s) on /api/v1</span>
          </div>
        )}
      </header>
      {snapshot && snapshot.writable.length === 0 && (
        <p className="banner notice">{user?.username ? `Your role (${user.role}) can watch the camera but not change it.` : 'You are not logged in: you can watch the camera but not change it.'}</p>
      )}
      <CameraControls />
      {snapshot && <ExtraControls extras={snapshot.extras} canUse={extrasReason} />}
      <DeviceLinkPanel />
    </section>
  )
}
