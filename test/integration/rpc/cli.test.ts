import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../../src/cli/index.ts'
import type { Core } from '../../../src/main/core/index.ts'
import { startCore } from './helpers.ts'

let core: Core
beforeAll(async () => {
  core = await startCore()
})
afterAll(async () => core?.stop())

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')))
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

describe('pitwall rpc', () => {
  it('calls a tag by name with parameters, over each protocol', async () => {
    for (const protocol of ['acbinary', 'json', 'messagepack']) {
      const r = await run(['rpc', 'call', 'Echo', '{"lap":3}', '--url', core.url, '--protocol', protocol])
      expect(r).toMatchObject({ code: 0, err: '' })
      expect(JSON.parse(r.out)).toEqual({ lap: 3 })
    }
  })

  it('logs in for writes and sends data', async () => {
    const r = await run(['rpc', 'call', 'RunPlanAdd', '--data', '{"kind":"note","note":"cli"}', '--url', core.url, '--user', 'admin', '--password', 'test-admin-pw'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).item).toMatchObject({ kind: 'note', note: 'cli', updatedBy: 'admin' })
  })

  it('reports errors in one line with the right exit code', async () => {
    expect(await run(['rpc', 'call', 'RunPlanAdd', '--data', '{"kind":"note"}', '--url', core.url])).toMatchObject({ code: 1, err: expect.stringMatching(/^pitwall rpc: unauthenticated: RunPlanAdd \(tag 1302\) needs a login/) })
    expect(await run(['rpc', 'call', 'Nope', '--url', core.url])).toMatchObject({ code: 2, err: expect.stringMatching(/unknown tag 'Nope'/) })
    expect(await run(['rpc', 'call', '4242', '--url', core.url])).toMatchObject({ code: 1, err: 'pitwall rpc: unknown_tag: unknown tag 4242' })
    expect(await run(['rpc', 'call', 'Echo', '--data', '{bad', '--url', core.url])).toMatchObject({ code: 2, err: expect.stringMatching(/--data is not valid JSON/) })
    expect(await run(['rpc', 'call', 'Ping', '--url', core.url, '--user', 'admin', '--password', 'wrong-password'])).toMatchObject({ code: 1, err: expect.stringMatching(/login failed/) })
  })
})
