import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { MessagingLiveEvent } from '../../../../shared/ui-api/index.ts'
import { Empty } from '../../components/Empty.tsx'
import { useConnectionState, useTopic, useTransport } from '../../transport/context.tsx'
import './messages.css'
import { type ConvKey, dmPeer, textOf, useMessages } from './store.ts'

const time = (ms: number) => new Date(ms).toLocaleTimeString()

function Item({ k, label, sub }: { k: ConvKey; label: string; sub?: string }) {
  const selected = useMessages((st) => st.selected === k)
  const unread = useMessages((st) => st.unread[k] ?? 0)
  const select = useMessages((st) => st.select)
  return (
    <li>
      <button className={`conv${selected ? ' conv-selected' : ''}`} onClick={() => select(k)}>
        <span className="conv-label">{label}</span>
        {sub && <span className="conv-sub">{sub}</span>}
        {unread > 0 && (
          <span className="badge" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
      </button>
    </li>
  )
}

/** Topics and rooms with live history, direct messages, presence of people and devices, unread counts. */
export function MessagesPage() {
  const transport = useTransport()
  const connection = useConnectionState()
  const s = useMessages()
  const [error, setError] = useState<string | null>(null)
  const [draft, setDraft] = useState('')
  const [newTopic, setNewTopic] = useState('')
  const [newRoom, setNewRoom] = useState('')
  const [newPeer, setNewPeer] = useState('')

  const refresh = useCallback(() => {
    transport.call('messaging.overview', {}).then(
      (o) => {
        setError(null)
        useMessages.getState().setOverview(o)
      },
      (err: Error) => setError(err.message),
    )
  }, [transport])

  useEffect(() => {
    if (connection !== 'open') return
    refresh()
    transport.call('messaging.directs', {}).then((d) => useMessages.getState().setDirects(d), () => {})
  }, [transport, connection, refresh])

  // Connections and rooms change in bursts (a tablet reconnecting): refetch the overview at most every 300 ms.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(pending.current), [])
  useTopic('messaging.live', {}, (e: MessagingLiveEvent) => {
    if (e.kind !== 'changed') return useMessages.getState().apply(e)
    pending.current ??= setTimeout(() => {
      pending.current = undefined
      refresh()
    }, 300)
  })

  // Load a topic's history when it is opened.
  const selectedTopic = s.selected?.startsWith('topic:') ? s.selected.slice(6) : null
  useEffect(() => {
    if (!selectedTopic || connection !== 'open') return
    transport.call('messaging.history', { topic: selectedTopic, limit: 200 }).then(
      (h) => useMessages.getState().setHistory(selectedTopic, h.messages),
      (err: Error) => setError(err.message),
    )
  }, [selectedTopic, transport, connection])

  const me = s.overview?.me ?? null
  const rooms = s.overview?.rooms ?? []
  const roomTopics = new Set(rooms.map((r) => r.topic))
  const topics = useMemo(() => {
    const all = new Set([...(s.overview?.topics.map((t) => t.topic) ?? []), ...s.liveTopics])
    return [...all].filter((t) => !roomTopics.has(t) && !t.startsWith('timing.car.')).sort()
  }, [s.overview, s.liveTopics, roomTopics])
  const people = (s.overview?.presence ?? []).filter((p) => p.user_id !== me)
  const dmPeers = [...new Set([...s.directs.map((d) => dmPeer(d, me)), ...people.map((p) => p.user_id), ...(s.selected?.startsWith('dm:') ? [s.selected.slice(3)] : [])])].sort()
  const devices = (s.overview?.connections ?? []).filter((c) => !c.user || c.dialect === 'rooms')

  const send = async (e: FormEvent) => {
    e.preventDefault()
    if (!draft.trim() || !s.selected) return
    try {
      if (s.selected.startsWith('dm:')) {
        const d = await transport.call('messaging.direct', { user: s.selected.slice(3), message: { text: draft } })
        useMessages.getState().apply({ kind: 'direct', direct: d })
      } else await transport.call('messaging.publish', { topic: s.selected.slice(6), message: { text: draft } })
      setDraft('')
      setError(null)
    } catch (err) {
      setError((err as Error).message)
    }
  }

  const openTopic = (e: FormEvent) => {
    e.preventDefault()
    if (newTopic.trim()) s.select(`topic:${newTopic.trim()}`)
    setNewTopic('')
  }
  const openPeer = (e: FormEvent) => {
    e.preventDefault()
    if (newPeer.trim()) s.select(`dm:${newPeer.trim()}`)
    setNewPeer('')
  }
  const createRoom = async (e: FormEvent) => {
    e.preventDefault()
    if (!newRoom.trim()) return
    try {
      const { roomId } = await transport.call('messaging.rooms.create', { name: newRoom.trim() })
      setNewRoom('')
      refresh()
      s.select(`topic:rooms.${roomId}`)
    } catch (err) {
      setError((err as Error).message)
    }
  }

  const selectedLabel = !s.selected
    ? ''
    : s.selected.startsWith('dm:')
      ? `Direct: ${s.selected.slice(3)}`
      : (rooms.find((r) => r.topic === selectedTopic)?.name.replace(/^/, 'Room: ') ?? `Topic: ${selectedTopic}`)
  const conv = s.selected?.startsWith('dm:')
    ? s.directs.filter((d) => dmPeer(d, me) === s.selected!.slice(3)).map((d) => ({ id: d.messageId, from: d.from ?? 'Pitwall', at: d.sentAt, text: textOf(d.payload), note: d.status === 'queued' ? 'queued (offline)' : undefined }))
    : (s.messages[selectedTopic ?? ''] ?? []).map((m) => ({ id: m.messageId, from: m.from ?? 'Pitwall', at: m.sentAt, text: textOf(m.payload), note: undefined as string | undefined }))

  return (
    <section className="page messages-page">
      <header className="page-head">
        <h1>Messages</h1>
        <div className="toolbar">
          {s.overview && (
            <span className="hint">
              {s.overview.stats.connections} connected · {s.overview.stats.subscriptions} subscriptions
            </span>
          )}
        </div>
      </header>
      {error && <p className="error">{error}</p>}
      <div className="msg-layout">
        <div className="msg-side" role="navigation" aria-label="Conversations">
          <h3>Rooms</h3>
          <ul>
            {rooms.map((r) => (
              <Item key={r.id} k={`topic:${r.topic}`} label={r.name} sub={`${r.connectionsCount}${r.maxConnections ? `/${r.maxConnections}` : ''}`} />
            ))}
          </ul>
          <form onSubmit={createRoom} className="msg-inline">
            <input value={newRoom} onChange={(e) => setNewRoom(e.target.value)} placeholder="New room" aria-label="New room name" />
          </form>
          <h3>Topics</h3>
          <ul>
            {topics.map((t) => (
              <Item key={t} k={`topic:${t}`} label={t} />
            ))}
          </ul>
          <form onSubmit={openTopic} className="msg-inline">
            <input value={newTopic} onChange={(e) => setNewTopic(e.target.value)} placeholder="Open topic (e.g. chat.crew)" aria-label="Open topic" />
          </form>
          <h3>Direct</h3>
          <ul>
            {dmPeers.map((p) => (
              <Item key={p} k={`dm:${p}`} label={p} />
            ))}
          </ul>
          <form onSubmit={openPeer} className="msg-inline">
            <input value={newPeer} onChange={(e) => setNewPeer(e.target.value)} placeholder="Message a user" aria-label="Message a user" />
          </form>
        </div>
        <div className="msg-main">
          {!s.selected ? (
            <Empty title="Pick a conversation">
              <p>Choose a room, a topic or a person on the left. Topics under timing.* and device.* are Pitwall's own live events; anyone on the LAN can follow them at /ws.</p>
            </Empty>
          ) : (
            <>
              <h2>{selectedLabel}</h2>
              <div className="msg-list" role="log" aria-live="polite">
                {conv.length === 0 && <p className="hint">No messages yet.</p>}
                {conv.map((m) => (
                  <div key={m.id} className={`msg${m.from === me ? ' msg-mine' : ''}`}>
                    <span className="msg-from">{m.from}</span> <time>{time(m.at)}</time>
                    {m.note && <span className="hint"> · {m.note}</span>}
                    <div className="msg-text">{m.text}</div>
                  </div>
                ))}
              </div>
              <form className="msg-compose" onSubmit={send}>
                <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder={s.selected.startsWith('dm:') ? 'Direct message' : 'Broadcast to this topic'} aria-label="Message" />
                <button type="submit" disabled={!draft.trim()}>
                  Send
                </button>
              </form>
            </>
          )}
        </div>
        <aside className="msg-presence" aria-label="Presence">
          <h3>People</h3>
          <ul>
            {people.length === 0 && <li className="hint">Nobody else yet.</li>}
            {people.map((p) => (
              <li key={p.user_id}>
                <span className={`dot ${p.status === 'online' ? 'dot-on' : 'dot-off'}`} /> {p.user_id}{' '}
                <span className="hint">{p.status === 'online' ? 'online' : p.last_seen ? `seen ${time(p.last_seen)}` : 'offline'}</span>
              </li>
            ))}
          </ul>
          <h3>Devices</h3>
          <ul>
            {s.overview?.controller && (
              <li title={s.overview.controller.detail}>
                <span className={`dot ${s.overview.controller.state === 'connected' ? 'dot-on' : 'dot-off'}`} /> Camera controller <span className="hint">{s.overview.controller.state}</span>
              </li>
            )}
            {devices.length === 0 && <li className="hint">No LAN devices connected.</li>}
            {devices.map((c) => (
              <li key={c.id} title={c.subscriptions.join(', ')}>
                <span className="dot dot-on" /> {c.clientId} <span className="hint">{c.dialect === 'rtc' ? '/ws' : c.path} · {c.address}</span>
              </li>
            ))}
          </ul>
        </aside>
      </div>
    </section>
  )
}
