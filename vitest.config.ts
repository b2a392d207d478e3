import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The soak runs alone (scripts/test.js runs it after the rest) so other suites do not skew its latency.
    exclude: process.env.PITWALL_SOAK ? ['**/node_modules/**'] : ['**/node_modules/**', 'test/soak/**'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests open real ports, PTYs and browsers: keep the 2-core machines from thrashing.
    maxWorkers: 2,
    fileParallelism: true,
  },
})
