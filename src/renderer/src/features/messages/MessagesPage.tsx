import { Empty } from '../../components/Empty.tsx'

// Placeholder: the messaging room replaces this page with topics, rooms and direct messages.
export function MessagesPage() {
  return (
    <Empty title="Team messages">
      <p>Topics, rooms, broadcasts and direct messages between the people and tools on the team's LAN will be here.</p>
      <p>No messages yet. Other people join by opening this server's address in a browser on the same network and logging in.</p>
    </Empty>
  )
}
