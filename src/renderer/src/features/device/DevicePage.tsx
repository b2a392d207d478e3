import { DeviceLinkPanel } from './DeviceLinkPanel.tsx'

// The camera controller page. The device room's part is the line to the controller
// (DeviceLinkPanel); the camera room adds the camera's state and controls here.
export function DevicePage() {
  return (
    <section className="page device-page">
      <header className="page-head">
        <h1>Camera controller</h1>
      </header>
      <DeviceLinkPanel />
    </section>
  )
}
