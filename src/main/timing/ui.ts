import type { CarPositionPatch, SessionStatePatch } from '../../shared/timing.ts'
import { controlLogInput, type TimingLiveEvent } from '../../shared/ui-api/timing.ts'
import type { CoreContext } from '../core/engine.ts'
import { can } from '../../shared/auth.ts'
import { UiError } from '../uiapi/index.ts'
import type { TimingEngine } from './engine.ts'

/** The timing section of the UI API (src/shared/ui-api/timing.ts). */
export function registerTimingUi(ctx: CoreContext, engine: TimingEngine): void {
  const { ui } = ctx
  const store = engine.store
  ui.handle('timing.state', 'Timing_r', () => ({ state: store.snapshot(), source: engine.source }))
  ui.handle('timing.source.get', 'Timing_r', () => engine.source)
  ui.handle('timing.source.set', 'Timing_rw', (p, c) => {
    // A replay reads a file on the server: admins only (operators switch feeds, not files).
    if (p.spec.trim().startsWith('replay:') && !can(c.principal, 'System_rw')) throw new UiError('forbidden', 'Replaying a file needs an admin (System_rw)')
    return engine.setSource(p.spec)
  })
  ui.handle('timing.laps', 'Timing_r', (p) => store.carLaps(p.number))
  ui.handle('timing.controllog', 'Timing_r', (p) => (p.car ? engine.controlLog.forCar(p.car) : engine.controlLog.entries))
  ui.handle('timing.controllog.add', 'Timing_rw', (p) => {
    if (!p.note && !p.penaltyAction && !p.car1) throw new UiError('invalid_params', 'An entry needs a note, a penalty action or a car')
    return engine.controlLog.add(controlLogInput.parse(p))
  })
  ui.handle('timing.incar', 'Timing_r', (p) => ({ payload: engine.inCar(p.number) }))
  ui.handle('timing.recordings', 'Timing_r', () => engine.recorder.list())

  ui.topic('timing.live', 'Timing_r', (_p, _c, emit: (e: TimingLiveEvent) => void) => {
    emit({ t: 'full', state: store.snapshot(), source: engine.source })
    emit({ t: 'controllog', log: { carNumber: '', entries: engine.controlLog.entries } })
    const onSession = (patch: SessionStatePatch) => emit({ t: 'session', patch })
    const onCars = (patches: CarPositionPatch[]) => emit({ t: 'cars', patches })
    const onReset = () => emit({ t: 'reset' })
    store.on('session', onSession)
    store.on('cars', onCars)
    store.on('reset', onReset)
    const offSource = engine.onSource((source) => emit({ t: 'source', source }))
    const offLog = engine.onControlLog((log) => emit({ t: 'controllog', log }))
    return () => {
      store.off('session', onSession)
      store.off('cars', onCars)
      store.off('reset', onReset)
      offSource()
      offLog()
    }
  })
}
