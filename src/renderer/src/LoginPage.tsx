import { type FormEvent, useState } from 'react'
import { login } from './session.ts'

/** The browser's login page (the desktop window never shows it). */
export function LoginPage({ notice, onLogin, onAnonymous }: { notice?: string; onLogin(token: string): void; onAnonymous(): void }) {
  const [username, setUsername] = useState('admin')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    login(username, password).then(
      (token) => onLogin(token),
      (err: Error) => {
        setBusy(false)
        setError(err.message)
      },
    )
  }
  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit}>
        <h1>Pitwall</h1>
        {notice && <p className="notice-line">{notice}</p>}
        <label>
          User
          <input name="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required autoFocus />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p className="hint">
          First time? The admin password was printed once by the server (or shown in the desktop app's Settings).{' '}
          <button type="button" className="link" onClick={onAnonymous}>
            Look without logging in
          </button>
        </p>
      </form>
    </main>
  )
}
