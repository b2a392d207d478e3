import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const BIN = new URL('../../../bin/pitwall.js', import.meta.url).pathname
const tmp = () => mkdtempSync(join(tmpdir(), 'pw-cli-'))
const env = { ...process.env, PITWALL_TIMING__SOURCE: 'none', PITWALL_LOG_TO_CONSOLE: 'false' }

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 30_000 })
}

function waitForLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; got: ${out}`)), 20_000)
    child.stdout!.on('data', (d) => {
      out += d
      const m = out.match(re)
      if (m) {
        clearTimeout(t)
        resolve(m[0])
      }
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
  })
}

describe('pitwall serve', () => {
  it('--check boots everything, self-checks and exits 0', () => {
    const r = run(['serve', '--check', '--port', '0', '--host', '127.0.0.1', '--data-dir', tmp()])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/serve --check: ok/)
    expect(r.status).toBe(0)
  })

  it('a port in use: one clear line, exit 2', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const r = run(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', tmp()])
    blocker.close()
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toBe(`pitwall serve: port ${port} on 127.0.0.1 is already in use`)
  })

  it('an unusable data dir or an invalid config: one clear line, exit 2', () => {
    const file = join(tmp(), 'not-a-dir')
    writeFileSync(file, 'x')
    const a = run(['serve', '--port', '0', '--data-dir', file])
    expect(a.status).toBe(2)
    expect(a.stderr.trim().split('\n')).toHaveLength(1)
    expect(a.stderr).toMatch(/data dir .*not-a-dir is not usable: EEXIST|ENOTDIR/)

    const cfg = join(tmp(), 'c.json')
    writeFileSync(cfg, JSON.stringify({ port: 'eighty' }))
    const b = run(['serve', '--config', cfg, '--data-dir', tmp()])
    expect(b.status).toBe(2)
    expect(b.stderr.trim()).toMatch(/^pitwall serve: invalid config \(.*c\.json\): port: /)

    const c = run(['serve', '--port', 'x'])
    expect(c.status).toBe(2)
    expect(c.stderr.trim()).toBe(`pitwall serve: --port must be an integer from 0 to 65535, got 'x'`)
    const d = run(['serve', '--bogus'])
    expect(d.status).toBe(2)
    expect(d.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('prints the first-run password once, serves, and exits 0 on SIGTERM within 3 s', async () => {
    const dir = tmp()
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir], { env })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const line = await waitForLine(child, /Web UI: (http:\/\/\S+)/)
    expect(stdout).toMatch(/First run: the admin password is {2}[a-z2-9-]{17} {2}/)
    const url = line.split(' ').at(-1)!
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const t0 = Date.now()
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    expect(code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(3000)

    // Second start: no password printed again.
    const again = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir], { env })
    let out2 = ''
    again.stdout.on('data', (d) => (out2 += d))
    await waitForLine(again, /Web UI: /)
    again.kill('SIGINT')
    expect(await new Promise((r) => again.once('exit', r))).toBe(0)
    expect(out2).not.toMatch(/First run/)
  })
})
