import { Component, type ReactNode } from 'react'

/** Keeps the shell (navigation, connection, logout) alive when one page throws; says what happened. */
export class PageBoundary extends Component<{ page: string; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null }

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  override componentDidUpdate(prev: { page: string }) {
    // Another page was chosen: give it a fresh start.
    if (prev.page !== this.props.page && this.state.error) this.setState({ error: null })
  }

  override render() {
    const { error } = this.state
    if (!error) return this.props.children
    return (
      <div className="empty" role="alert">
        <h2>This page stopped working</h2>
        <p className="error">{error.message}</p>
        <p>The rest of Pitwall keeps running. Try another page, or reload.</p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    )
  }
}
