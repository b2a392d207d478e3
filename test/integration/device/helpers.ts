import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type ConfigInput, parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'
import type { DeviceEngine } from '../../../src/main/device/index.ts'

export const ADMIN_PW = 'test-admin-pw'
const BIN = fileURLToPath(new URL('../../../bin/pitwall.js', import.meta.url))

/** A socat PTY pair with stable names: `app` for Pitwall, `dev` for the emulator. Can be killed and brought back. */
export class PtyPair {
  readonly app: string
  readonly dev: string
  #proc: ChildProcessWithoutNullStreams | undefined

  constructor(dir = mkdtempSync(join(tmpdir(), 'pw-pty-'))) {
    this.app = join(dir, 'app')
    this.dev = join(dir, 'dev')
  }

  async start(): Promise<void> {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.app}`, `pty,raw,echo=0,link=${this.dev}`], { stdio: 'pipe' })
    this.#proc = proc
    proc.stdout.resume()
    proc.stderr.resume()
    const deadline = Date.now() + 5000
    while (!(existsSync(this.app) && existsSync(this.dev))) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error('socat did not create the PTY pair')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** Kills socat: both PTYs vanish, as when a USB adapter is pulled. */
  async kill(): Promise<void> {
    const p = this.#proc
    this.#proc = undefined
    if (!p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await exited
  }
}

export interface EmulatorEvent {
  event: string
  [k: string]: unknown
}

/** `pitwall emulate` as a child process, controlled through stdin, its JSON events read from stdout. */
export class EmulatorProcess {
  readonly events: EmulatorEvent[] = []
  #proc: ChildProcessWithoutNullStreams
  #waiters: Array<{ match: (e: EmulatorEvent) => boolean; resolve: (e: EmulatorEvent) => void }> = []

  constructor(protocol: 'pcp' | 'visca', port: string, args: string[] = []) {
    this.#proc = spawn(process.execPath, [BIN, 'emulate', protocol, '--port', port, ...args], { stdio: 'pipe' })
    this.#proc.stderr.resume()
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      let e: EmulatorEvent
      try {
        e = JSON.parse(line) as EmulatorEvent
      } catch {
        return
      }
      this.events.push(e)
      if (this.events.length > 2000) this.events.splice(0, 1000)
      this.#waiters = this.#waiters.filter((w) => (w.match(e) ? (w.resolve(e), false) : true))
    })
  }

  waitFor(match: (e: EmulatorEvent) => boolean, timeoutMs = 5000, includePast = true): Promise<EmulatorEvent> {
    const past = includePast ? this.events.find(match) : undefined
    if (past) return Promise.resolve(past)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`emulator event not seen within ${timeoutMs} ms; last: ${JSON.stringify(this.events.slice(-3))}`)), timeoutMs)
      this.#waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(t)
          resolve(e)
        },
      })
    })
  }

  /** Sends a control command and waits for its answer (ok/error/state). */
  async control(line: string): Promise<EmulatorEvent> {
    const answer = this.waitFor((e) => e.event === 'ok' || e.event === 'error' || e.event === 'state', 5000, false)
    this.#proc.stdin.write(`${line}\n`)
    return answer
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null) return
    const exited = new Promise((r) => this.#proc.once('exit', r))
    this.#proc.kill('SIGTERM')
    await exited
  }
}

export async function startCore(device: string, over: Partial<ConfigInput> = {}): Promise<Core> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pw-dev-'))
  return createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'warn', adminPassword: ADMIN_PW, timing: { source: 'none' }, device: { source: device }, ...over }),
  )
}

export const deviceOf = (core: Core) => core.engines.find((e) => e.name === 'device') as DeviceEngine

export async function waitUntil(fn: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<number> {
  const t0 = Date.now()
  while (!fn()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - t0
}
