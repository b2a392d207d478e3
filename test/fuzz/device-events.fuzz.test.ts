// A malicious or broken device: the built-in PCP emulator sends event frames with hostile tokens for real
// key codes (out of range, wrong kinds, the frame's own separators) and for unknown codes. They go through
// the real PCP codec, the driver and the camera model. The model must never hold or broadcast a value
// outside the key table, and the link and the API stay up.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAMERA_KEYS, type CameraKey, isCanonicalValue } from '../../src/shared/camera-keys.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import type { DeviceEngine } from '../../src/main/device/index.ts'
import { PCP_KEYS } from '../../src/main/device/pcp/keys.ts'
import { V1Client, wsUrl } from '../helpers/v1-client.ts'
import { LONG, runs, SEED, tally } from './lib.ts'

let core: Core
beforeAll(async () => {
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-dev-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }))
})
afterAll(() => core.stop())

const device = () => (core.engines.find((e) => e.name === 'device') as DeviceEngine).controller
// Tokens as a device could put them on the wire (a frame is printable ASCII, at most 255 bytes; longer or
// binary ones are the parser's business: device-parsers.fuzz).
const token = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }).map(String),
  fc.constantFrom('', '-', '1e9', '4.5', 'NaN', 'Infinity', '0x10', '01', '+5', 'on', 'off', 'auto', 'pause', '1920x1080', '9999x9999', 'a,b', 'x=1', '2', '-1', '101', 'true'),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]|\*/g, '')),
)
const code = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PCP_KEYS.map((k) => k.code)) }, fc.string({ minLength: 1, maxLength: 4 }).map((s) => s.replace(/[^A-Za-z0-9]/g, 'X')))

describe('fuzz: hostile values from the device', () => {
  it('the model holds and broadcasts only values the key table allows; the link and the API stay up', async () => {
    const t = tally('device-events')
    const watcher = await V1Client.open(wsUrl(core.url))
    expect(await watcher.login('admin', 'fuzz-admin-pw')).toMatchObject({ authenticated: true })
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(code, token), { minLength: 1, maxLength: 4 }), async (pairs) => {
        try {
          device().simDevice.rawEvent(pairs)
          t.count('frame sent')
        } catch {
          t.count('not a frame') // could not form a frame at all: not a wire input
          return
        }
        await new Promise((r) => setTimeout(r, 5))
      }),
      { seed: SEED, numRuns: runs(200, 5000) },
    )
    await new Promise((r) => setTimeout(r, 300))
    // Everything broadcast was a valid value for its key.
    const bad: string[] = []
    for (const m of watcher.messages) {
      for (const [k, v] of Object.entries(m)) {
        if (k === 'info' || k === 'authenticated' || k === 'user' || k === 'role' || k === 'permissions') continue
        const def = CAMERA_KEYS.find((d) => d.key === (k as CameraKey))
        if (!def || !isCanonicalValue(def, v)) bad.push(`${k}=${JSON.stringify(v)}`)
        else t.count('valid broadcast')
      }
    }
    expect(bad).toEqual([])
    // The whole state is valid, and the API still answers.
    watcher.messages.length = 0
    watcher.send({ get: [] })
    const state = await watcher.next((m) => 'brightness' in m)
    for (const d of CAMERA_KEYS) if (d.key in state) expect(isCanonicalValue(d, state[d.key]), d.key).toBe(true)
    expect(['connected', 'connecting']).toContain(device().link.state)
    const r = await fetch(`${core.url}/healthz`)
    expect([200, 503]).toContain(r.status)
    watcher.close()
    t.save()
  }, LONG ? 900_000 : 60_000)
})
