import { useEffect, useMemo, useState } from 'react'
import type { ConnectionState, UiTransport } from '../../shared/ui-api/index.ts'
import { PageBoundary } from './components/PageBoundary.tsx'
import { features } from './features/index.ts'
import { LoginPage } from './LoginPage.tsx'
import { useRoute } from './route.ts'
import { forgetToken, logout, probeToken, savedToken, uiSocketUrl } from './session.ts'
import { ShellContext, type ShellApi, useShell } from './shell.ts'
import { useDesktop } from './stores/desktop.ts'
import { useSession } from './stores/session.ts'
import { useStatus } from './stores/status.ts'
import { useTheme } from './stores/theme.ts'
import { TransportProvider, useConnectionState, useTopic, useTransport } from './transport/context.tsx'
import { IpcTransport } from './transport/ipc.ts'
import { WsTransport } from './transport/ws.ts'

/** Desktop window (IPC through the preload) or a browser on the LAN (WebSocket, after a login). */
export function App() {
  const desktop = window.pitwall
  if (desktop) return <DesktopApp />
  return <BrowserApp />
}

function DesktopApp() {
  const transport = useMemo(() => new IpcTransport(window.pitwall!), [])
  useEffect(() => window.pitwall!.onNavigate((hash) => (location.hash = hash)), [])
  useEffect(() => transport.subscribe('desktop', {}, useDesktop.getState().set), [transport])
  const shell: ShellApi = { kind: 'ipc', login: () => undefined, logout: () => undefined }
  return (
    <ShellContext.Provider value={shell}>
      <TransportProvider transport={transport}>
        <Shell />
      </TransportProvider>
    </ShellContext.Provider>
  )
}

type BrowserSession = { token: string | null } | null

function BrowserApp() {
  const [session, setSession] = useState<BrowserSession>(() => {
    const token = savedToken()
    return token ? { token } : null
  })
  const [notice, setNotice] = useState<string>()
  const [transport, setTransport] = useState<UiTransport | null>(null)
  // One transport per login; made and closed by the effect, so React's double-run of effects in
  // development (StrictMode) cannot leave the page on a closed socket.
  useEffect(() => {
    if (!session) return undefined
    const token = session.token ?? undefined
    const t = new WsTransport({ url: uiSocketUrl(), token, probe: token ? () => probeToken(token) : undefined })
    const off = t.onState((s) => {
      if (s !== 'unauthenticated') return
      forgetToken()
      setNotice('Your session ended. Log in again.')
      setSession(null)
    })
    setTransport(t)
    return () => {
      off()
      t.close()
      setTransport(null)
    }
  }, [session])

  if (session && !transport) return null // connecting: the shell appears on the next render
  if (!session || !transport) {
    return (
      <LoginPage
        notice={notice}
        onLogin={(token) => {
          setNotice(undefined)
          setSession({ token })
        }}
        onAnonymous={() => setSession({ token: null })}
      />
    )
  }
  const shell: ShellApi = {
    kind: 'ws',
    login: () => setSession(null),
    logout: () => {
      void logout(session.token)
      useSession.setState({ user: null, firstRunPassword: null })
      setNotice('Logged out.')
      setSession(null)
    },
  }
  return (
    <ShellContext.Provider value={shell}>
      <TransportProvider transport={transport}>
        <Shell />
      </TransportProvider>
    </ShellContext.Provider>
  )
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  closed: 'Disconnected',
  unauthenticated: 'Logged out',
}

/** Navigation, connection state, engine status, theme, and the current page. */
function Shell() {
  const transport = useTransport()
  const connection = useConnectionState()
  const route = useRoute()
  const setSession = useSession((s) => s.set)
  const user = useSession((s) => s.user)
  const theme = useTheme()
  const shell = useShell()

  useEffect(() => {
    if (connection !== 'open') return
    transport.call('session.get', {}).then(setSession, () => undefined)
  }, [transport, connection, setSession])
  useTopic('status', {}, useStatus.getState().set)

  // An empty or unknown route shows the first page without rewriting the URL (a rewrite could race a
  // navigation the user, a deep link or a test makes meanwhile).
  const current = features.find((f) => f.id === route.page) ?? features[0]!
  const Page = current.component

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Pitwall</span>
        <nav aria-label="Pages">
          {features.map((f) => (
            <a key={f.id} href={`#/${f.id}`} className={f.id === current.id ? 'active' : undefined} aria-current={f.id === current.id ? 'page' : undefined}>
              {f.title}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        <EngineStatus />
        <span className={`conn conn-${connection}`} role="status" title={`${transport.kind === 'ipc' ? 'Desktop (IPC)' : 'LAN (WebSocket)'}: ${CONNECTION_TEXT[connection]}`}>
          <span className="dot" /> {CONNECTION_TEXT[connection]}
        </span>
        <button type="button" className="icon" onClick={theme.toggle} aria-label={`Switch to ${theme.theme === 'dark' ? 'light' : 'dark'} theme`} title="Light / dark theme">
          {theme.theme === 'dark' ? '☀' : '☾'}
        </button>
        {shell.kind === 'ws' &&
          (user?.username ? (
            <button type="button" onClick={shell.logout} title={`Logged in as ${user.username} (${user.role})`}>
              Log out {user.username}
            </button>
          ) : (
            <button type="button" onClick={shell.login}>
              Log in
            </button>
          ))}
      </header>
      <FirstRunBanner />
      <UpdateBanner />
      {connection !== 'open' && (
        <p className="banner warn">
          {connection === 'connecting' ? 'Not connected to the Pitwall server; retrying…' : 'Not connected to the Pitwall server.'} Pages show their last known data.
        </p>
      )}
      <main className="content">
        <PageBoundary page={current.id}>
          <Page />
        </PageBoundary>
      </main>
    </div>
  )
}

function FirstRunBanner() {
  const pw = useSession((s) => s.firstRunPassword)
  const route = useRoute()
  if (!pw || route.page === 'settings') return null
  return (
    <p className="banner notice">
      First run: an admin password was generated. <a href="#/settings">See it once in Settings</a> and write it down.
    </p>
  )
}

/** Desktop only: a downloading or ready update, with the restart button. */
function UpdateBanner() {
  const update = useDesktop((s) => s.info?.update)
  const transport = useTransport()
  if (update?.state === 'downloading') return <p className="banner">Downloading Pitwall {update.version}… {update.percent}%</p>
  if (update?.state !== 'downloaded') return null
  return (
    <p className="banner notice">
      Pitwall {update.version} is ready.{' '}
      <button type="button" onClick={() => void transport.call('desktop.update.install', {}).catch(() => undefined)}>
        Restart to update
      </button>
    </p>
  )
}

const STATE_LABEL: Record<string, string> = { running: 'ok', starting: 'starting', degraded: 'degraded', stopped: 'stopped', error: 'error' }

function EngineStatus() {
  const status = useStatus((s) => s.status)
  if (!status) return null
  return (
    <span className="engines" aria-label="Engines">
      {Object.entries(status.engines).map(([name, s]) => (
        <span key={name} className={`engine engine-${s.state}`} title={`${name}: ${STATE_LABEL[s.state] ?? s.state}${s.detail ? ` — ${s.detail}` : ''}`}>
          <span className="dot" />
          {name}
        </span>
      ))}
    </span>
  )
}
