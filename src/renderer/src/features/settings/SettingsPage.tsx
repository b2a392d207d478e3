import { type FormEvent, useCallback, useEffect, useState } from 'react'
import type { UserInfo } from '../../../../shared/ui-api/index.ts'
import { useConnectionState, useTransport } from '../../transport/context.tsx'
import { useSession } from '../../stores/session.ts'
import { useTheme } from '../../stores/theme.ts'
import { useShell } from '../../shell.ts'
import { DesktopCard } from './DesktopCard.tsx'

const ROLES = ['admin', 'operator', 'viewer'] as const

export function SettingsPage() {
  return (
    <section className="page settings-page">
      <header className="page-head">
        <h1>Settings</h1>
      </header>
      <FirstRunPassword />
      <Account />
      <Appearance />
      <DesktopCard />
      <Users />
    </section>
  )
}

function FirstRunPassword() {
  const { firstRunPassword, dismissPassword } = useSession()
  if (!firstRunPassword) return null
  return (
    <div className="card notice">
      <h2>First run: the admin password</h2>
      <p>
        User <strong>admin</strong>, password <code className="secret">{firstRunPassword}</code>
      </p>
      <p>Write it down now: it is shown only this once (it is stored hashed). Use it to log in from a browser on the LAN, or add users below.</p>
      <button type="button" onClick={dismissPassword}>
        I have noted it
      </button>
    </div>
  )
}

function Account() {
  const user = useSession((s) => s.user)
  const { kind, logout, login } = useShell()
  return (
    <div className="card">
      <h2>Account</h2>
      <p>
        {user?.username ? (
          <>
            Logged in as <strong>{user.username}</strong> ({user.role})
          </>
        ) : (
          'Not logged in: you can look, not change anything.'
        )}
        {kind === 'ipc' && ' — this desktop window is trusted as the local admin.'}
      </p>
      {kind === 'ws' && user?.username && (
        <button type="button" onClick={logout}>
          Log out
        </button>
      )}
      {kind === 'ws' && !user?.username && (
        <button type="button" onClick={login}>
          Log in
        </button>
      )}
    </div>
  )
}

function Appearance() {
  const { theme, set } = useTheme()
  return (
    <div className="card">
      <h2>Appearance</h2>
      <label>
        Theme{' '}
        <select value={theme} onChange={(e) => set(e.target.value as 'light' | 'dark')} aria-label="Theme">
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </label>
    </div>
  )
}

function Users() {
  const transport = useTransport()
  const connection = useConnectionState()
  const [users, setUsers] = useState<UserInfo[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [info, setInfo] = useState<string | null>(null)

  const reload = useCallback(() => {
    transport.call('users.list', {}).then(
      (list) => {
        setUsers(list)
        setError(null)
      },
      (err: Error & { code?: string }) => {
        setUsers(null)
        setError(err.code === 'forbidden' || err.code === 'unauthenticated' ? 'Only an admin can see and manage users.' : err.message)
      },
    )
  }, [transport])
  useEffect(() => {
    if (connection === 'open') reload()
  }, [connection, reload])

  const run = (what: string, p: Promise<unknown>) =>
    p.then(
      () => {
        setInfo(what)
        setError(null)
        reload()
      },
      (err: Error) => {
        setInfo(null)
        setError(err.message)
      },
    )

  return (
    <div className="card">
      <h2>Users</h2>
      {error && <p className="error">{error}</p>}
      {info && <p className="ok">{info}</p>}
      {users && (
        <>
          <table className="users">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Since</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow key={u.username} user={u} onDelete={() => run(`Deleted ${u.username}`, transport.call('users.delete', { username: u.username }))} />
              ))}
            </tbody>
          </table>
          <UserForm onSave={(u) => run(`Saved ${u.username}`, transport.call('users.save', u))} />
        </>
      )}
    </div>
  )
}

function UserRow({ user, onDelete }: { user: UserInfo; onDelete(): void }) {
  const [confirming, setConfirming] = useState(false)
  return (
    <tr>
      <td>{user.username}</td>
      <td>{user.role}</td>
      <td>{new Date(user.createdAt).toLocaleDateString()}</td>
      <td>
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={onDelete}>
              Delete {user.username}
            </button>{' '}
            <button type="button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
      </td>
    </tr>
  )
}

/** Adds a user, or changes an existing user's role and password (the same call: users.save). */
function UserForm({ onSave }: { onSave(u: { username: string; password: string; role: (typeof ROLES)[number] }): void }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<(typeof ROLES)[number]>('operator')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onSave({ username, password, role })
    setPassword('')
  }
  return (
    <form className="user-form" onSubmit={submit}>
      <h3>Add a user, or change a user's role and password</h3>
      <input aria-label="Username" placeholder="username" value={username} onChange={(e) => setUsername(e.target.value)} required pattern="[A-Za-z0-9._\-]{1,64}" autoComplete="off" />
      <input aria-label="Password" placeholder="password (8+ characters)" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} autoComplete="new-password" />
      <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="submit">Save user</button>
    </form>
  )
}
