// `pitwall://` deep links → the window's hash route. Pure, so it is unit-tested without Electron.
//   pitwall://event/12           → #/timing?event=12
//   pitwall://event/12/car/7     → #/timing?event=12&car=7
//   pitwall://car/7A             → #/timing?car=7A
//   pitwall://messages           → #/messages   (any page name)
//   pitwall:// , pitwall://open  → no route: just bring the window up

export const PROTOCOL = 'pitwall'
const PAGES = new Set(['timing', 'messages', 'device', 'settings', 'logs'])
const EVENT_ID = /^\d{1,10}$/
const CAR = /^[A-Za-z0-9]{1,8}$/
const MAX_LENGTH = 512

export type DeepLink = { ok: true; hash: string | null } | { ok: false; reason: string }

export function parseDeepLink(raw: string): DeepLink {
  if (raw.length > MAX_LENGTH) return { ok: false, reason: 'link too long' }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { ok: false, reason: 'not a URL' }
  }
  if (url.protocol !== `${PROTOCOL}:`) return { ok: false, reason: `not a ${PROTOCOL}:// link` }
  const parts = [url.host, ...url.pathname.split('/')].map((p) => decodeURIComponent(p)).filter(Boolean)
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'open')) return { ok: true, hash: null }
  if (parts.length === 1 && PAGES.has(parts[0]!.toLowerCase())) return { ok: true, hash: `#/${parts[0]!.toLowerCase()}` }

  const query = new URLSearchParams()
  for (let i = 0; i < parts.length; i += 2) {
    const key = parts[i]!.toLowerCase()
    const value = parts[i + 1]
    if (value === undefined) return { ok: false, reason: `${key}: missing value` }
    if (key === 'event' && EVENT_ID.test(value) && !query.has('event')) query.set('event', value)
    else if (key === 'car' && CAR.test(value) && !query.has('car')) query.set('car', value)
    else return { ok: false, reason: `unsupported part ${key}/${value}` }
  }
  return { ok: true, hash: `#/timing?${query.toString()}` }
}

/** The deep link in a command line (Windows/Linux pass it as an argument to the second instance). */
export function deepLinkFromArgv(argv: readonly string[]): string | undefined {
  return argv.find((a) => a.toLowerCase().startsWith(`${PROTOCOL}://`))
}
