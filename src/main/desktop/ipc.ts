import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { z } from 'zod'
import { LOCAL_ADMIN } from '../../shared/auth.ts'
import type { Logger } from '../log/index.ts'
import { toErrorShape, type UiContext, UiError, type UiRouter } from '../uiapi/index.ts'

// The UI API over Electron IPC: the desktop window's transport. Same router, same schema and permission
// checks as the WebSocket; the window is trusted as the local admin. Every message is schema-checked
// here first, and only the app's own page may call.

export const IPC = { call: 'ui:call', sub: 'ui:sub', unsub: 'ui:unsub', event: 'ui:event', navigate: 'ui:navigate' } as const

export const callSchema = z.object({ method: z.string().min(1).max(128), params: z.unknown().optional() }).strict()
export const subSchema = z.object({ id: z.number().int().nonnegative().max(2 ** 31), topic: z.string().min(1).max(128), params: z.unknown().optional() }).strict()
export const unsubSchema = z.object({ id: z.number().int().nonnegative().max(2 ** 31) }).strict()

const MAX_SUBSCRIPTIONS = 256

type Envelope = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } }

export interface IpcAdapterOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  router: Pick<UiRouter, 'call' | 'subscribe'>
  /** Whether a message comes from our own page (checked on every message). */
  isTrusted(event: IpcMainInvokeEvent): boolean
  log: Logger
}

export function mountIpcUiApi(opts: IpcAdapterOptions): { close(): void; subscriptions(): number } {
  const log = opts.log.child({ area: 'desktop' })
  const ctx: UiContext = { principal: LOCAL_ADMIN, transport: 'ipc' }
  /** Subscriptions per window (webContents id). */
  const windows = new Map<number, Map<number, () => void>>()

  const subsOf = (wc: WebContents): Map<number, () => void> => {
    let subs = windows.get(wc.id)
    if (!subs) {
      subs = new Map()
      windows.set(wc.id, subs)
      const drop = () => {
        for (const off of subs!.values()) off()
        subs!.clear()
      }
      // A reload starts the page over with fresh ids; a closed window ends everything.
      wc.on('did-navigate', drop)
      wc.once('destroyed', () => {
        drop()
        windows.delete(wc.id)
      })
    }
    return subs
  }

  const guard = <T>(schema: z.ZodType<T>, fn: (msg: T, event: IpcMainInvokeEvent) => Promise<unknown> | unknown) => {
    return async (event: IpcMainInvokeEvent, raw: unknown): Promise<Envelope> => {
      if (!opts.isTrusted(event)) {
        log.warn({ url: event.senderFrame?.url }, 'IPC message from an untrusted frame refused')
        return { ok: false, error: { code: 'forbidden', message: 'Not allowed from this page' } }
      }
      const parsed = schema.safeParse(raw)
      if (!parsed.success) return { ok: false, error: { code: 'bad_request', message: `Malformed IPC message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` } }
      try {
        return { ok: true, result: (await fn(parsed.data, event)) ?? null }
      } catch (err) {
        return { ok: false, error: toErrorShape(err) }
      }
    }
  }

  opts.ipcMain.handle(
    IPC.call,
    guard(callSchema, (m) => opts.router.call(m.method, m.params, ctx)),
  )
  opts.ipcMain.handle(
    IPC.sub,
    guard(subSchema, (m, event) => {
      const wc = event.sender
      const subs = subsOf(wc)
      subs.get(m.id)?.()
      subs.delete(m.id)
      if (subs.size >= MAX_SUBSCRIPTIONS) throw new UiError('rate_limited', 'Too many subscriptions')
      const off = opts.router.subscribe(m.topic, m.params, ctx, (data) => {
        if (!wc.isDestroyed()) wc.send(IPC.event, { id: m.id, data })
      })
      subs.set(m.id, off)
      return null
    }),
  )
  opts.ipcMain.handle(
    IPC.unsub,
    guard(unsubSchema, (m, event) => {
      const subs = windows.get(event.sender.id)
      subs?.get(m.id)?.()
      subs?.delete(m.id)
      return null
    }),
  )

  return {
    close() {
      for (const ch of [IPC.call, IPC.sub, IPC.unsub]) opts.ipcMain.removeHandler(ch)
      for (const subs of windows.values()) for (const off of subs.values()) off()
      windows.clear()
    },
    subscriptions: () => [...windows.values()].reduce((n, s) => n + s.size, 0),
  }
}
