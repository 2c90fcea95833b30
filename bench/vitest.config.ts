import { defineConfig } from 'vitest/config'

/** The bench's own tests (its sink): `npx vitest run -c bench/vitest.config.ts`. */
export const benchTestConfig = defineConfig({
  test: {
    include: ['bench/**/*.test.ts'],
    testTimeout: 30_000,
  },
})

export default benchTestConfig
