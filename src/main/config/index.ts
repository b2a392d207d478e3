export { configSchema, type Config, type ConfigInput } from './schema.ts'
export { ConfigError, defaultDataDir, fromEnv, loadConfig, parseConfig, resolveDataDir } from './load.ts'
