export { LanError, LanServer, type LanOptions, refuseUpgrade, tokenFrom, type UpgradeHandler, WEB_CSP } from './server.ts'
export { Counter, Gauge, Metrics } from './metrics.ts'
export { preFrame, sendFrame } from './frames.ts'
