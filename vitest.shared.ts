import { defineConfig } from 'vitest/config'

/**
 * Shared vitest settings: workspace packages resolve to their TypeScript sources through the
 * `@ethwire/source` export condition, so `pnpm test` needs no build.
 */
export const sourceConditions = ['@ethwire/source', 'import', 'module', 'node', 'default']

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@ethwire/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
