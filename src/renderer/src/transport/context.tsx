import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react'
import type { ConnectionState, TopicEvent, TopicName, TopicParams, UiTransport } from '../../../shared/ui-api/index.ts'

// The React tree gets its UiTransport here; pages and stores never know whether it is IPC or WebSocket.

const TransportContext = createContext<UiTransport | null>(null)

export function TransportProvider({ transport, children }: { transport: UiTransport; children: ReactNode }) {
  return <TransportContext.Provider value={transport}>{children}</TransportContext.Provider>
}

export function useTransport(): UiTransport {
  const t = useContext(TransportContext)
  if (!t) throw new Error('useTransport() outside <TransportProvider>')
  return t
}

export function useConnectionState(): ConnectionState {
  const t = useTransport()
  const [state, setState] = useState(t.state)
  useEffect(() => {
    setState(t.state)
    return t.onState(setState)
  }, [t])
  return state
}

/**
 * Subscribes to a topic for the component's lifetime (re-subscribing when the params change).
 * `onEvent` may change between renders without re-subscribing.
 */
export function useTopic<K extends TopicName>(topic: K, params: TopicParams<K>, onEvent: (event: TopicEvent<K>) => void): void {
  const t = useTransport()
  const handler = useRef(onEvent)
  handler.current = onEvent
  const key = JSON.stringify(params)
  useEffect(() => t.subscribe(topic, JSON.parse(key) as TopicParams<K>, (e) => handler.current(e)), [t, topic, key])
}
