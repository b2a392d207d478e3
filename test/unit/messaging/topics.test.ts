import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkFilter, checkTopic, filterMatches, TopicTrie } from '../../../src/main/messaging/topics.ts'

// filter, topic, expected
const MATRIX: Array<[string, string, boolean]> = [
  ['chat.general', 'chat.general', true],
  ['chat.general', 'chat.General', false], // case-sensitive
  ['chat.general', 'chat', false],
  ['chat.general', 'chat.general.x', false],
  ['updates.*', 'updates.a', true],
  ['updates.*', 'updates', false],
  ['updates.*', 'updates.a.b', false],
  ['*.b', 'a.b', true],
  ['*.b', 'b', false],
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.b.d', false],
  ['a.*.*', 'a.b.c', true],
  ['a.#', 'a.b', true],
  ['a.#', 'a.b.c.d', true],
  ['a.#', 'a', false], // one or more levels
  ['#', 'a', true],
  ['#', 'a.b.c', true],
  ['*.#', 'a', false],
  ['*.#', 'a.b', true],
  ['a.*.#', 'a.b.c', true],
  ['a.*.#', 'a.b', false],
  ['timing.car.*', 'timing.car.42', true],
  ['timing.car.*', 'timing.car.99x', true],
  ['presence.#', 'presence.j.smith', true],
]

describe('wildcard matrix', () => {
  it.each(MATRIX)('%s vs %s → %s (reference and trie agree)', (filter, topic, expected) => {
    expect(filterMatches(filter, topic)).toBe(expected)
    const trie = new TopicTrie<string>()
    expect(checkFilter(filter).ok).toBe(true)
    trie.add(filter.split('.'), 'sub')
    const hits: string[] = []
    trie.match(topic.split('.'), (s) => hits.push(s))
    expect(hits.length > 0).toBe(expected)
  })

  it('validates filters and topics', () => {
    for (const bad of ['', 'a..b', '.a', 'a.', 'a.#.b', 'a#', 'sport*', 'a b', 'a/b', 'é', 'x'.repeat(256), Array(17).fill('a').join('.')]) expect(checkFilter(bad).ok).toBe(false)
    for (const good of ['a', 'a.b', '*', '#', 'a.*.c', 'a.#', 'room_1f.x-y:z@w~q+1']) expect(checkFilter(good).ok).toBe(true)
    for (const bad of ['a.*', '#', 'a.#', '*']) expect(checkTopic(bad).ok).toBe(false)
    expect(checkTopic(42).ok).toBe(false)
  })

  const level = fc.constantFrom('a', 'b', 'c')
  const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'))
  const filter = fc
    .tuple(fc.array(fc.constantFrom('a', 'b', 'c', '*'), { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([l, hash]) => (hash ? [...l.slice(0, -1), '#'] : l).join('.'))

  it('the trie matches exactly like the reference, and delivers once per subscriber when deduplicated', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), filter), { maxLength: 30 }), topic, (subs, t) => {
        const trie = new TopicTrie<number>()
        for (const [s, f] of subs) trie.add(f.split('.'), s)
        const seen = new Set<number>()
        trie.match(t.split('.'), (s) => seen.add(s))
        const expected = new Set(subs.filter(([, f]) => filterMatches(f, t)).map(([s]) => s))
        expect([...seen].sort()).toEqual([...expected].sort())
      }),
      { numRuns: 300 },
    )
  })

  it('removing filters prunes the trie and stops matching', () => {
    fc.assert(
      fc.property(fc.uniqueArray(filter, { maxLength: 20 }), topic, (filters, t) => {
        const trie = new TopicTrie<string>()
        for (const f of filters) trie.add(f.split('.'), f)
        for (const f of filters) expect(trie.remove(f.split('.'), f)).toBe(true)
        expect(trie.size).toBe(0)
        let hit = false
        trie.match(t.split('.'), () => (hit = true))
        expect(hit).toBe(false)
      }),
      { numRuns: 100 },
    )
  })
})
