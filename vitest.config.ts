import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests own real sockets, databases and child processes; two cores here.
    pool: 'forks',
    maxWorkers: 2,
  },
})
