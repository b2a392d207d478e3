import { Empty } from '../../components/Empty.tsx'

// Placeholder: the timing room replaces this page with the live timing board.
export function TimingPage() {
  return (
    <Empty title="Live timing">
      <p>The timing board will be here: positions, laps, gaps, best laps, pit stops and the track flag, live.</p>
      <p>
        No timing source is feeding this page yet. Choose one in the config (<code>timing.source</code>: the race generator, an RMonitor feed
        from the timing software, a RedMist event, or a replay file) — see docs/configuration.md.
      </p>
    </Empty>
  )
}
