// Opens a chain that executes its blocks: @ethwire/executor over @ethwire/state sharing the chain's
// LevelDB (the wiring a node does). `state()` is the state database, for reads in tests.

import { type Chain, type ChainDeps, type ChainOptions, openChain } from '@ethwire/chain'
import { createExecutor, type Executor } from '@ethwire/executor'
import { createStateDatabase, type StateDatabase } from '@ethwire/state'

export async function openExecutedChain(
  deps: Omit<ChainDeps, 'executor'>,
  options: ChainOptions = {},
): Promise<Chain & { state: StateDatabase; exec: Executor }> {
  let state: StateDatabase | undefined
  let executor: Executor | undefined
  const chain = await openChain(
    {
      ...deps,
      executor: async ({ db, config, engine }) => {
        state = createStateDatabase({ db }, { cacheBytes: 16 << 20 })
        executor = await createExecutor({ state, author: (h) => engine.author(h) }, { config })
        return executor
      },
    },
    options,
  )
  return Object.assign(chain, { state: state as StateDatabase, exec: executor as Executor })
}
