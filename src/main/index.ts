import { app } from 'electron'
import { runDesktop } from './desktop/app.ts'

// Electron entry point (bundled to out/main/index.js). Everything real is in the core; see desktop/app.ts.

runDesktop().catch((err: unknown) => {
  console.error('Pitwall desktop failed to start:', err)
  app.exit(1)
})
