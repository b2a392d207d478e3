import type { ReactNode } from 'react'

/** What a page shows when it has nothing yet: what will be here, and what to do about it. */
export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty" role="status">
      <h2>{title}</h2>
      <div className="empty-body">{children}</div>
    </div>
  )
}
