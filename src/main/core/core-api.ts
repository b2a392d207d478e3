import type { StatusInfo } from '../../shared/ui-api/index.ts'
import type { LogSetup } from '../log/index.ts'
import type { CoreContext } from './engine.ts'

/** UI API handlers of the core section: status, session, users, logs. */
export function registerCoreApi(ctx: CoreContext, opts: { status: () => StatusInfo; logging: LogSetup; firstRunPassword?: string }): void {
  const { ui, auth } = ctx
  let firstRun = opts.firstRunPassword

  ui.handle('status.get', 'System_r', () => opts.status())
  ui.handle('session.get', null, (_p, c) => {
    // The generated password is given once, and only to a local admin (the desktop window).
    const reveal = c.transport === 'ipc' && c.principal.role === 'admin' ? firstRun : undefined
    if (reveal) firstRun = undefined
    return { user: { username: c.principal.username, role: c.principal.role }, ...(reveal ? { firstRunPassword: reveal } : {}) }
  })
  ui.handle('users.list', 'User_r', () => auth.listUsers())
  ui.handle('users.save', 'User_rw', (p) => auth.createUser(p, true))
  ui.handle('users.delete', 'User_rw', (p) => {
    auth.deleteUser(p.username)
    return { ok: true as const }
  })
  ui.handle('logs.recent', 'System_r', (p) => opts.logging.ring.recent(p.limit))

  ui.topic('logs', 'System_r', (_p, _c, emit) => opts.logging.ring.subscribe(emit))
  ui.topic('status', 'System_r', (_p, _c, emit) => {
    emit(opts.status())
    const onChange = () => emit(opts.status())
    ctx.events.on('engine.state', onChange)
    const timer = setInterval(onChange, 5000)
    timer.unref()
    return () => {
      clearInterval(timer)
      ctx.events.off('engine.state', onChange)
    }
  })
}
