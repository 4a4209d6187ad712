import { expect, it } from 'vitest'
import { main } from '../examples/standalone.js'

it('the README example runs on its own', async () => {
  const log = await main()
  expect(log.filter((l) => l.startsWith('alice <- Transactions'))).toEqual([
    'alice <- Transactions(102, 102000 B)',
    'alice <- Transactions(102, 102000 B)',
    'alice <- Transactions(96, 96000 B)',
  ])
  expect(log).toContain('broadcast: 3 direct, 6 announced')
  expect(log.filter((l) => l.includes('NewPooledTransactionHashes(1)'))).toHaveLength(6)
})
