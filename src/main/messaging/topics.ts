// Topic names and subscription filters: `.`-separated levels (NATS-like, decisions in
// research/lan-apis.md §3.5). `*` = exactly one level, `#` = one or more trailing levels
// (last level only). Wildcards are valid only in filters, never in a published topic.

export const MAX_TOPIC_LENGTH = 255
export const MAX_LEVELS = 16
/** A level: letters, digits and `_ - : @ ~ +` (no dots, no wildcards, no spaces). */
const LEVEL = /^[A-Za-z0-9_\-:@~+]+$/

export type TopicCheck = { ok: true; levels: string[] } | { ok: false; reason: string }

function split(s: unknown, what: string): TopicCheck {
  if (typeof s !== 'string' || s.length === 0) return { ok: false, reason: `${what} must be a non-empty string` }
  if (s.length > MAX_TOPIC_LENGTH) return { ok: false, reason: `${what} is longer than ${MAX_TOPIC_LENGTH} characters` }
  const levels = s.split('.')
  if (levels.length > MAX_LEVELS) return { ok: false, reason: `${what} has more than ${MAX_LEVELS} levels` }
  return { ok: true, levels }
}

/** A topic a message is published to: no wildcards, no empty levels. */
export function checkTopic(topic: unknown): TopicCheck {
  const r = split(topic, 'topic')
  if (!r.ok) return r
  for (const l of r.levels) {
    if (l === '*' || l === '#') return { ok: false, reason: `wildcards are not allowed in a published topic (${String(topic)})` }
    if (!LEVEL.test(l)) return { ok: false, reason: `invalid topic level "${l}" in ${String(topic)} (letters, digits, _ - : @ ~ + ; levels separated by .)` }
  }
  return r
}

/** A subscription filter: a topic whose levels may be `*`, and whose last level may be `#`. */
export function checkFilter(filter: unknown): TopicCheck {
  const r = split(filter, 'filter')
  if (!r.ok) return r
  for (let i = 0; i < r.levels.length; i++) {
    const l = r.levels[i]!
    if (l === '*') continue
    if (l === '#') {
      if (i !== r.levels.length - 1) return { ok: false, reason: `"#" must be the last level of a filter (${String(filter)})` }
      continue
    }
    if (!LEVEL.test(l)) return { ok: false, reason: `invalid filter level "${l}" in ${String(filter)} (a wildcard must be a whole level)` }
  }
  return r
}

/** Whether a filter matches a topic (reference implementation; the bus uses the trie). */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('.')
  const t = topic.split('.')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return t.length > i
    if (i >= t.length) return false
    if (f[i] !== '*' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

class Node<S> {
  children = new Map<string, Node<S>>()
  star: Node<S> | undefined
  hash: Node<S> | undefined
  subs = new Set<S>()
  get empty(): boolean {
    return this.subs.size === 0 && this.children.size === 0 && !this.star && !this.hash
  }
}

/**
 * Subscription trie: matching walks the topic's levels once, following the literal, `*` and `#`
 * branches, so its cost grows with the topic depth and the matching subscriptions, not with the
 * number of filters.
 */
export class TopicTrie<S> {
  #root = new Node<S>()
  #count = 0

  get size(): number {
    return this.#count
  }

  /** Adds (filter, sub); returns false when it was already there. `levels` must come from checkFilter. */
  add(levels: readonly string[], sub: S): boolean {
    let node = this.#root
    for (const l of levels) {
      if (l === '*') node = node.star ??= new Node<S>()
      else if (l === '#') node = node.hash ??= new Node<S>()
      else {
        let next = node.children.get(l)
        if (!next) node.children.set(l, (next = new Node<S>()))
        node = next
      }
    }
    if (node.subs.has(sub)) return false
    node.subs.add(sub)
    this.#count++
    return true
  }

  /** Removes (filter, sub); prunes empty branches. Returns whether it was there. */
  remove(levels: readonly string[], sub: S): boolean {
    const path: Array<{ parent: Node<S>; key: string }> = []
    let node: Node<S> | undefined = this.#root
    for (const l of levels) {
      const parent: Node<S> = node
      node = l === '*' ? parent.star : l === '#' ? parent.hash : parent.children.get(l)
      if (!node) return false
      path.push({ parent, key: l })
    }
    if (!node.subs.delete(sub)) return false
    this.#count--
    for (let i = path.length - 1; i >= 0; i--) {
      const { parent, key } = path[i]!
      const child = key === '*' ? parent.star : key === '#' ? parent.hash : parent.children.get(key)
      if (!child?.empty) break
      if (key === '*') parent.star = undefined
      else if (key === '#') parent.hash = undefined
      else parent.children.delete(key)
    }
    return true
  }

  /** Calls `visit` for every (sub) of every matching filter; a sub with several matching filters is visited once per filter. */
  match(levels: readonly string[], visit: (sub: S) => void): void {
    walk(this.#root, levels, 0, visit)
  }
}

function walk<S>(node: Node<S>, levels: readonly string[], i: number, visit: (sub: S) => void): void {
  if (i === levels.length) {
    for (const s of node.subs) visit(s)
    return
  }
  if (node.hash) for (const s of node.hash.subs) visit(s)
  const child = node.children.get(levels[i]!)
  if (child) walk(child, levels, i + 1, visit)
  if (node.star) walk(node.star, levels, i + 1, visit)
}
