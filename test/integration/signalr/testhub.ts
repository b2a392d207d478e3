import { z } from 'zod'
import { clientStream, defineHub, type HubContext, type HubOptions, method, streamMethod } from '../../../src/main/signalr/index.ts'
import type { Core } from '../../../src/main/core/index.ts'

/** Observations the test hub records on the server side. */
export interface TestHubState {
  calls: number
  active: number
  maxActive: number
  tickerStarted: number
  tickerEnded: number
  received: number[]
  connected: string[]
  disconnected: Array<{ id: string; error: string | undefined }>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Adds a hub for tests at `path` with observable server-side behaviour. */
export function addTestHub(core: Core, path: string, options: HubOptions = {}): { hub: HubContext; state: TestHubState } {
  const state: TestHubState = { calls: 0, active: 0, maxActive: 0, tickerStarted: 0, tickerEnded: 0, received: [], connected: [], disconnected: [] }
  const hub = core.ctx.signalr.addHub(
    path,
    defineHub({
      methods: {
        Count: method([z.number().int()], (_c, n) => {
          state.calls++
          state.received.push(n)
          return state.calls
        }),
        Slow: method([z.number().int().min(0).max(5000)], async (_c, ms) => {
          state.active++
          state.maxActive = Math.max(state.maxActive, state.active)
          await sleep(ms)
          state.active--
          return state.maxActive
        }),
        Ticker: streamMethod([], async function* (call) {
          state.tickerStarted++
          try {
            for (let i = 0; !call.signal.aborted; i++) {
              await sleep(10)
              yield i
            }
          } finally {
            state.tickerEnded++
          }
        }),
        Numbers: streamMethod([z.number().int().min(0), z.number().int().min(0)], async function* (call, count, delayMs) {
          for (let i = 1; i <= count && !call.signal.aborted; i++) {
            await sleep(delayMs)
            yield i
          }
        }),
        Burst: streamMethod([z.number().int().min(0)], async function* (_call, count) {
          for (let i = 1; i <= count; i++) yield i
        }),
        Collect: method([z.string(), clientStream(z.number().int())], async (_c, label, items) => {
          const got: number[] = []
          for await (const x of items) got.push(x)
          return `${label}:${got.join(',')}`
        }),
        Echo: method([z.unknown()], (_c, v) => v),
        // A hub bug: its argument schema throws while validating.
        Buggy: method(
          [
            z.string().refine(() => {
              throw new Error('bug in a refinement')
            }),
          ],
          () => 'never',
        ),
        Write: method([], () => 'written', { permission: 'System_rw' }),
      },
      onConnected: (c) => void state.connected.push(c.connectionId),
      onDisconnected: (c, error) => void state.disconnected.push({ id: c.connectionId, error }),
    }),
    options,
  )
  return { hub, state }
}
