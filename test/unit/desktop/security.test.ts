import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => import('./electron-mock.ts'))

const { FakeWebContents, session, shell } = await import('./electron-mock.ts')
const { DESKTOP_CSP, hardenSession, hardenWebContents, isAppUrl, isLocalRequest, secureWebPreferences } = await import('../../../src/main/desktop/security.ts')

const APP = 'file:///opt/Pitwall/resources/app.asar/out/renderer/index.html'

describe('desktop hardening', () => {
  it('webPreferences: contextIsolation, sandbox, no nodeIntegration, webSecurity, no webview', () => {
    const p = secureWebPreferences('/x/preload.cjs')
    expect(p).toMatchObject({ preload: '/x/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInSubFrames: false, nodeIntegrationInWorker: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false })
  })

  it('navigation away from the app page is denied; in-app hash changes are allowed', () => {
    const wc = new FakeWebContents()
    hardenWebContents(wc as never, APP)
    const nav = (url: string) => {
      let prevented = false
      wc.emit('will-navigate', { preventDefault: () => (prevented = true) }, url)
      return prevented
    }
    expect(nav('https://evil.example/')).toBe(true)
    expect(nav('file:///etc/passwd')).toBe(true)
    expect(nav('http://localhost:8080/')).toBe(true)
    expect(nav(`${APP}#/settings`)).toBe(false)
    let redirected = false
    wc.emit('will-redirect', { preventDefault: () => (redirected = true) }, 'https://evil.example/')
    expect(redirected).toBe(true)
    let webview = false
    wc.emit('will-attach-webview', { preventDefault: () => (webview = true) })
    expect(webview).toBe(true)
  })

  it('new windows are denied; https links go to the system browser, anything else nowhere', () => {
    const wc = new FakeWebContents()
    hardenWebContents(wc as never, APP)
    expect(wc.windowOpenHandler!({ url: 'https://pitwall.app/help' })).toEqual({ action: 'deny' })
    expect(shell.openExternal).toHaveBeenCalledWith('https://pitwall.app/help')
    shell.openExternal.mockClear()
    expect(wc.windowOpenHandler!({ url: 'file:///bin/sh' })).toEqual({ action: 'deny' })
    expect(wc.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(shell.openExternal).not.toHaveBeenCalled()
  })

  it('every permission request and check is refused', () => {
    const ses = session.defaultSession
    hardenSession(ses as never)
    for (const perm of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'serial', 'hid']) {
      let granted: boolean | undefined
      ses.permissionRequest!(null, perm, (ok) => (granted = ok))
      expect(granted).toBe(false)
    }
    expect(ses.permissionCheck!()).toBe(false)
  })

  it('no remote content: every http(s)/ws request from the window is cancelled, local files pass', () => {
    const ses = session.defaultSession
    hardenSession(ses as never)
    const cancelled = (url: string) => {
      let r: { cancel: boolean } | undefined
      ses.beforeRequest!({ url }, (x) => (r = x))
      return r!.cancel
    }
    expect(cancelled('https://cdn.example/lib.js')).toBe(true)
    expect(cancelled('http://127.0.0.1:8080/api/status')).toBe(true)
    expect(cancelled('ws://10.0.0.2/ui')).toBe(true)
    expect(cancelled(`${APP}`)).toBe(false)
    expect(cancelled('data:image/png;base64,AAAA')).toBe(false)
    expect(isLocalRequest('not a url')).toBe(false)
  })

  it('a strict CSP is set on responses and in the page itself', () => {
    const ses = session.defaultSession
    hardenSession(ses as never)
    let headers: Record<string, string[]> | undefined
    ses.headersReceived!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (headers = r.responseHeaders))
    expect(headers!['Content-Security-Policy']).toEqual([DESKTOP_CSP])
    expect(headers!['X-Other']).toEqual(['1'])
    for (const csp of [DESKTOP_CSP, metaCsp()]) {
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("object-src 'none'")
      expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/)
    }
    expect(DESKTOP_CSP).not.toMatch(/connect-src[^;]*(ws:|http)/)
  })

  it('isAppUrl matches the app page only', () => {
    expect(isAppUrl(`${APP}#/timing?car=1`, APP)).toBe(true)
    expect(isAppUrl('file:///opt/Pitwall/resources/app.asar/out/renderer/other.html', APP)).toBe(false)
    expect(isAppUrl('garbage', APP)).toBe(false)
  })
})

function metaCsp(): string {
  const html = readFileSync(new URL('../../../src/renderer/index.html', import.meta.url), 'utf8')
  const m = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)
  if (!m) throw new Error('index.html has no CSP meta')
  return m[1]!
}
