import { expect, it } from 'vitest'
import { main } from '../examples/standalone.js'

it('the README example runs on its own', async () => {
  const log = await main()
  expect(log).toContain('bob at genesis: absent')
  expect(log).toContain('bob at block 1: 10')
  expect(log).toContain(
    'token slot 0: 0x0000000000000000000000000000000000000000000000000000000000000001',
  )
  expect(log).toContain('served 2 items')
  expect(log).toContain('block 1: 7 ops (nodes and code), root() before commit the same: true')
  expect(log.find((l) => l.startsWith('proof:'))).toMatch(/slot value 1$/)
})
