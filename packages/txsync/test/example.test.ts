import { expect, it } from 'vitest'
import { main } from '../examples/standalone.js'

it('the README example runs on its own', async () => {
  const log = await main()
  // The initial sync gives alice all 300 in three packs of ≤ 100 KiB. (The later broadcast picks
  // its three direct receivers at random, so alice may see one more Transactions message.)
  expect(log.filter((l) => l.endsWith('delivered to alice'))).toEqual([
    'pack of 102 delivered to alice',
    'pack of 102 delivered to alice',
    'pack of 96 delivered to alice',
  ])
  expect(log.filter((l) => l.startsWith('alice <- Transactions(')).slice(0, 3)).toEqual([
    'alice <- Transactions(102, 102000 B)',
    'alice <- Transactions(102, 102000 B)',
    'alice <- Transactions(96, 96000 B)',
  ])
  expect(log).toContain('broadcast: 3 direct, 6 announced')
  expect(log.filter((l) => l.includes('NewPooledTransactionHashes(1)'))).toHaveLength(6)
})
