/**
 * Both examples against a node that speaks only eth/69 (no total difficulty in the Status, no
 * block announcements): the watcher still sees transactions, and the follower finds new blocks
 * with its --poll timer (the node sends BlockRangeUpdate only every 32 blocks).
 */

import { bytesToHex } from '@ethwire/rlp-wire'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type DevNode,
  type Example,
  runExample,
  sendTransaction,
  signTransfer,
  startDevNode,
} from './helpers.js'

let dev: DevNode
const running: Example[] = []

beforeAll(async () => {
  dev = await startDevNode({ blocks: 20, ethVersions: [69] })
}, 60_000)

afterAll(async () => {
  await Promise.allSettled(running.map((e) => e.stop()))
  await dev?.stop()
})

it('eth/69: the watcher prints a transaction, the follower polls its way to a new block', async () => {
  const { node, key } = dev
  const enode = node.enode as string
  const watcher = runExample('mempool-watcher.ts', [enode]) // default versions: 69 is shared
  const follower = runExample('header-follower.ts', ['--poll', '1', enode])
  running.push(watcher, follower)

  const head = node.chain.currentHeader()
  await follower.waitForLine(new RegExp(`^head #20 ${bytesToHex(head.hash)} `))
  expect(follower.stderr()).toMatch(/on eth\/69/)
  const block = await node.sealBlock() // announced to nobody: eth/69 has no NewBlock
  await follower.waitForLine(new RegExp(`^head #21 ${bytesToHex(block.hash)} \\(\\+1 blocks`))

  await watcher.waitForStderr(/on eth\/69/)
  const tx = signTransfer(key, { chainId: 1337n, nonce: 0n, value: 3n })
  await sendTransaction(node, tx)
  await watcher.waitForLine(new RegExp(`^tx ${bytesToHex(tx.hash)} .* value=3 `))

  for (const e of [watcher, follower]) expect(await e.stop()).toBe(0)
}, 120_000)
