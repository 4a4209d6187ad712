// Opens a chain that executes its blocks: @ethwire/executor over @ethwire/state sharing the chain's
// LevelDB (the wiring a node does).
import { createExecutor } from '@ethwire/executor'
import { createStateDatabase } from '@ethwire/state'
import { type ChainDeps, type ChainOptions, openChain } from '../src/index.js'

export function executorFactory(): NonNullable<ChainDeps['executor']> {
  return async ({ db, config, engine }) =>
    createExecutor(
      {
        state: createStateDatabase({ db }, { cacheBytes: 16 << 20 }),
        author: (h) => engine.author(h),
      },
      { config },
    )
}

export function openExecutedChain(
  deps: Omit<ChainDeps, 'executor'>,
  options: ChainOptions = {},
) {
  return openChain({ ...deps, executor: executorFactory() }, options)
}
