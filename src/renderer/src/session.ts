// The browser's login: POST /api/login, token kept in localStorage, logout. The desktop window needs none
// (it is trusted as the local admin).

const KEY = 'pitwall.token'

export function savedToken(): string | null {
  try {
    return localStorage.getItem(KEY)
  } catch {
    return null
  }
}

function saveToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(KEY, token)
    else localStorage.removeItem(KEY)
  } catch {
    /* storage disabled: the login lasts this page */
  }
}

export async function login(username: string, password: string): Promise<string> {
  let res: Response
  try {
    res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  } catch {
    throw new Error('Cannot reach the Pitwall server')
  }
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string; retryAfter?: number }
  if (res.status === 429) throw new Error(`Too many attempts; try again in ${body.retryAfter ?? 60} s`)
  if (!res.ok || !body.token) throw new Error(body.error ?? `Login failed (HTTP ${res.status})`)
  saveToken(body.token)
  return body.token
}

export async function logout(token: string | null): Promise<void> {
  saveToken(null)
  if (!token) return
  await fetch('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined)
}

export function forgetToken(): void {
  saveToken(null)
}

/** Tells a bad/expired token from a server that is down (a refused WebSocket upgrade hides the status). */
export async function probeToken(token: string): Promise<'ok' | 'unauthenticated' | 'down'> {
  try {
    const res = await fetch('/api/session', { headers: { authorization: `Bearer ${token}` } })
    if (res.status === 401) return 'unauthenticated'
    return res.ok ? 'ok' : 'down'
  } catch {
    return 'down'
  }
}

export function uiSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ui`
}
