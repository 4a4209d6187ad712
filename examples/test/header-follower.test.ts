/**
 * header-follower.ts against a real ethwire dev node on 127.0.0.1: over RLPx from genesis
 * (adopting the peer's network) and over libp2p from a checkpoint (`--last`, with the genesis
 * file), each must reach the node's head and then follow a block the node mines afterwards.
 */
import { join } from 'node:path'
import { bytesToHex } from '@ethwire/rlp-wire'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type DevNode, type Example, runExample, startDevNode } from './helpers.js'

let dev: DevNode
const running: Example[] = []

beforeAll(async () => {
  dev = await startDevNode({ blocks: 300 }) // more than one header skeleton (192) to fetch
}, 60_000)

afterAll(async () => {
  await Promise.allSettled(running.map((e) => e.stop()))
  await dev?.stop()
})

const headLine = (number: bigint, hash: Uint8Array) =>
  new RegExp(`^head #${number} ${bytesToHex(hash)} \\(\\+(\\d+) blocks, 0 txs\\)$`)

it('syncs to the node head over RLPx and libp2p, then follows a newly mined block', async () => {
  const { node, datadir } = dev
  const head = node.chain.currentHeader()
  expect(head.number).toBe(300n)

  const overRlpx = runExample('header-follower.ts', [node.enode as string])
  const overLibp2p = runExample('header-follower.ts', [
    '--genesis',
    join(datadir, 'genesis.json'),
    '--last',
    '50',
    node.multiaddrs[0] as string,
  ])
  running.push(overRlpx, overLibp2p)

  await overRlpx.waitForLine(headLine(300n, head.hash))
  expect(overRlpx.stderr()).toMatch(/starting at #0 /)
  await overLibp2p.waitForLine(headLine(300n, head.hash))
  expect(overLibp2p.stderr()).toMatch(/starting at #250 /)
  // The checkpoint follower fetched 50 blocks, not 300.
  const imported = (e: Example) =>
    e.lines.reduce((n, l) => n + Number(/\(\+(\d+) blocks/.exec(l)?.[1] ?? 0), 0)
  expect(imported(overRlpx)).toBe(300)
  expect(imported(overLibp2p)).toBe(50)

  // A block mined now reaches both by announcement (NewBlock to ⌊√2⌋ = 1 peer, the hash to
  // the other); each re-synchronises and prints it.
  const block = await node.sealBlock()
  for (const e of [overRlpx, overLibp2p]) {
    const m = await e.waitForLine(headLine(301n, block.hash))
    expect(m[1]).toBe('1')
  }

  for (const e of [overRlpx, overLibp2p]) expect(await e.stop()).toBe(0)
  for (const e of [overRlpx, overLibp2p]) expect(e.stderr()).toMatch(/\[follower\] stopped/)
}, 120_000)
