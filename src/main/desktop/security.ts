import { type BrowserWindowConstructorOptions, type Session, shell, type WebContents } from 'electron'

// Hardening of the desktop window: isolation, sandbox, a strict CSP, no navigation, no new windows,
// no permissions, no remote content. Each rule has a unit test (test/unit/desktop/security.test.ts).

/** The window's CSP: only our own files; IPC needs no network, so none is allowed. */
export const DESKTOP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'"

export function secureWebPreferences(preload: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  }
}

/** Same document (file URL without the hash): the only place the window may be. */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const a = new URL(url)
    const b = new URL(appUrl)
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname
  } catch {
    return false
  }
}

/** Navigation and new windows denied; https links open in the user's browser instead. */
export function hardenWebContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//i.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}

/** Schemes the window may load: its own files, inline data (images) and devtools. */
const LOCAL_SCHEMES = ['file:', 'data:', 'devtools:', 'blob:']

export function isLocalRequest(url: string): boolean {
  try {
    return LOCAL_SCHEMES.includes(new URL(url).protocol)
  } catch {
    return false
  }
}

/** Every permission request and check refused; no remote request; CSP on every response. */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isLocalRequest(details.url) }))
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CSP] } }),
  )
}
