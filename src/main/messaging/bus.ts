import type { BusBackplane } from './backplane.ts'
import { checkFilter, checkTopic, TopicTrie } from './topics.ts'
import type { BackplaneMessage, BusSubscriber, DirectEnvelope, Publication } from './types.ts'

export class BusError extends Error {
  override name = 'BusError'
}

/**
 * The one message bus under both dialects. A room is a topic (`rooms.<id>`). A publish is delivered
 * synchronously, in order, to every matching local subscriber exactly once (however many of its filters
 * match), and handed to the backplane for the other instances.
 */
export class MessageBus {
  readonly instanceId: string
  #trie = new TopicTrie<BusSubscriber>()
  /** subscriber → its filters (exact strings, as given). */
  #filters = new Map<BusSubscriber, Set<string>>()
  #seq = 0
  #backplane: BusBackplane
  #directHandler: (dm: DirectEnvelope) => void = () => {}
  #published = 0
  #delivered = 0

  constructor(opts: { instanceId: string; backplane: BusBackplane }) {
    this.instanceId = opts.instanceId
    this.#backplane = opts.backplane
    this.#backplane.onMessage((m) => this.#fromBackplane(m))
  }

  get backplane(): BusBackplane {
    return this.#backplane
  }

  get stats(): { subscriptions: number; subscribers: number; published: number; delivered: number } {
    return { subscriptions: this.#trie.size, subscribers: this.#filters.size, published: this.#published, delivered: this.#delivered }
  }

  /** Adds a filter; throws BusError on an invalid one. Returns false if the subscriber already had it. */
  subscribe(sub: BusSubscriber, filter: string): boolean {
    const c = checkFilter(filter)
    if (!c.ok) throw new BusError(c.reason)
    let set = this.#filters.get(sub)
    if (!set) this.#filters.set(sub, (set = new Set()))
    if (set.has(filter)) return false
    set.add(filter)
    this.#trie.add(c.levels, sub)
    return true
  }

  /** Removes exactly this filter string (no wildcard-based removal). */
  unsubscribe(sub: BusSubscriber, filter: string): boolean {
    const set = this.#filters.get(sub)
    if (!set?.delete(filter)) return false
    this.#trie.remove(filter.split('.'), sub)
    if (set.size === 0) this.#filters.delete(sub)
    return true
  }

  unsubscribeAll(sub: BusSubscriber): void {
    const set = this.#filters.get(sub)
    if (!set) return
    for (const f of set) this.#trie.remove(f.split('.'), sub)
    this.#filters.delete(sub)
  }

  filtersOf(sub: BusSubscriber): string[] {
    return [...(this.#filters.get(sub) ?? [])]
  }

  /** Whether any of the subscriber's filters matches the topic. */
  isSubscribed(sub: BusSubscriber, topic: string): boolean {
    let hit = false
    const c = checkTopic(topic)
    if (!c.ok) return false
    this.#trie.match(c.levels, (s) => {
      if (s === sub) hit = true
    })
    return hit
  }

  /**
   * Delivers to local subscribers (except `exclude`) and forwards to other instances.
   * Returns the number of local subscribers it was handed to.
   */
  publish(pub: Publication, exclude?: BusSubscriber): number {
    const n = this.#deliverLocal(pub, exclude)
    const { wire: _wire, ...plain } = pub
    this.#backplane.publish({ kind: 'publish', origin: this.instanceId, pub: plain })
    return n
  }

  /** Delivers to local subscribers only (what each instance derives itself, e.g. presence across instances). */
  deliverLocal(pub: Publication): number {
    return this.#deliverLocal(pub)
  }

  /** A direct message for a user connected to another instance. */
  forwardDirect(dm: DirectEnvelope): void {
    this.#backplane.publish({ kind: 'direct', origin: this.instanceId, dm })
  }

  /** Receives direct messages routed here by other instances. */
  onDirect(handler: (dm: DirectEnvelope) => void): void {
    this.#directHandler = handler
  }

  #deliverLocal(pub: Publication, exclude?: BusSubscriber): number {
    const c = checkTopic(pub.topic)
    if (!c.ok) throw new BusError(c.reason)
    const seq = ++this.#seq
    let n = 0
    this.#published++
    if (exclude) exclude.lastSeq = seq
    this.#trie.match(c.levels, (s) => {
      if (s.lastSeq === seq) return
      s.lastSeq = seq
      try {
        if (s.deliver(pub)) n++
      } catch {
        // A subscriber's failure must not stop delivery to the others.
      }
    })
    this.#delivered += n
    return n
  }

  #fromBackplane(m: BackplaneMessage): void {
    if (m.origin === this.instanceId) return
    if (m.kind === 'publish') this.#deliverLocal({ ...m.pub, wire: {} })
    else if (m.kind === 'direct') this.#directHandler(m.dm)
  }
}
