import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ensureWebBuild, WEB_ROOT } from '../helpers/web-build.ts'

describe('web UI bundle', () => {
  it('is small and carries no Node or schema-library code', () => {
    ensureWebBuild()
    const assets = join(WEB_ROOT, 'assets')
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'))
    const total = js.reduce((n, f) => n + statSync(join(assets, f)).size, 0)
    const text = js.map((f) => readFileSync(join(assets, f), 'utf8')).join('\n')
    // zod belongs to the core (schemas are checked there); the renderer imports types only.
    expect(text).not.toMatch(/ZodError/)
    expect(text).not.toMatch(/require\(["']node:/)
    expect(total).toBeLessThan(450 * 1024)
    // The CSP forbids inline scripts: index.html loads modules only.
    expect(readFileSync(join(WEB_ROOT, 'index.html'), 'utf8')).not.toMatch(/<script>(?!<\/script>)/)
  })
})
