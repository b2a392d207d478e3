import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, fromEnv, loadConfig } from '../../../src/main/config/index.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'pw-config-'))

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({ env: {} })
    expect(c.port).toBe(8080)
    expect(c.host).toBe('0.0.0.0')
    expect(c.camera.rateLimit).toBe(100)
    expect(c.timing.source).toBe('generator')
  })

  it('applies CLI > environment > file > defaults', () => {
    const file = join(tmp(), 'c.json')
    writeFileSync(file, JSON.stringify({ port: 7000, name: 'from-file', camera: { maxClients: 70 }, logLevel: 'warn' }))
    const c = loadConfig({ file, env: { PITWALL_PORT: '7100', PITWALL_NAME: 'from-env', PITWALL_CAMERA__MAX_CLIENTS: '80' }, cli: { port: 7200 } })
    expect(c.port).toBe(7200) // CLI wins
    expect(c.name).toBe('from-env') // env beats file
    expect(c.camera.maxClients).toBe(80)
    expect(c.logLevel).toBe('warn') // file beats default
    expect(c.camera.rateLimit).toBe(100) // default kept beside file values
  })

  it('maps PITWALL_* names to nested camelCase keys and JSON values', () => {
    expect(fromEnv({ PITWALL_ALLOWED_ORIGINS: '["http://a:1"]', PITWALL_DEVICE__USB_IDS: '["0403:6001"]', OTHER: 'x', PITWALL_ANONYMOUS_READ: 'false', PITWALL_SHARED: '/x' })).toEqual({
      allowedOrigins: ['http://a:1'],
      device: { usbIds: ['0403:6001'] },
      anonymousRead: false,
    })
  })

  it('names the problem in one line', () => {
    expect(() => loadConfig({ env: { PITWALL_PORT: '99999' } })).toThrow(/^invalid config: port: /)
    expect(() => loadConfig({ env: {}, cli: { bogus: 1 } })).toThrow(/unknown key bogus/)
    expect(() => loadConfig({ env: { PITWALL_CAMERA__MAX_CLIENT: '60' } })).toThrow(/unknown key camera.maxClient/) // typo inside a section
    const bad = join(tmp(), 'bad.json')
    writeFileSync(bad, '{ nope')
    expect(() => loadConfig({ env: {}, file: bad })).toThrow(ConfigError)
    expect(() => loadConfig({ env: {}, file: bad })).toThrow(/is not valid JSON/)
    expect(() => loadConfig({ env: {}, file: join(tmp(), 'missing.json') })).toThrow(/cannot read config file .*ENOENT/)
  })
})
