import { Empty } from '../../components/Empty.tsx'

// Placeholder: the camera/device room replaces this page with the controller's state and controls.
export function DevicePage() {
  return (
    <Empty title="Camera controller">
      <p>The camera controller's state (recording, exposure, focus, presets) and its controls will be here.</p>
      <p>
        No controller is connected. Plug one in over USB/serial and set <code>device.source</code> (or use <code>sim</code> for the built-in
        simulator) — see docs/configuration.md.
      </p>
    </Empty>
  )
}
