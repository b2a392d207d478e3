// Hash routes (`#/timing?car=12`), parsed without DOM APIs so the desktop's deep-link tests share it.

export interface Route {
  page: string
  query: URLSearchParams
}

export function parseHash(hash: string): Route {
  const [path = '', qs = ''] = hash.replace(/^#\/?/, '').split('?', 2)
  return { page: path.split('/')[0] ?? '', query: new URLSearchParams(qs) }
}
