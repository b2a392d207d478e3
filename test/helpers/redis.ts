import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** A real redis-server on a free loopback port, no persistence. */
export class RedisServer {
  port = 0
  #proc: ChildProcess | undefined

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(port?: number): Promise<void> {
    this.port = port ?? this.port ?? 0
    if (!this.port) this.port = await freePort()
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#proc = proc
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
      proc.stdout!.on('data', (d) => {
        out += d
        if (out.includes('Ready to accept connections')) {
          clearTimeout(t)
          resolve()
        }
      })
      proc.once('exit', (code) => {
        clearTimeout(t)
        reject(new Error(`redis-server exited ${code}: ${out}`))
      })
    })
  }

  /** Kills it hard (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const p = this.#proc
    if (!p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGKILL')
    await exited
    this.#proc = undefined
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
