/**
 * mempool-watcher.ts against a real ethwire dev node over RLPx on 127.0.0.1: transactions sent
 * to the node over JSON-RPC are printed by the watcher, whether they reach it announced by hash
 * (eth/66 and eth/68 NewPooledTransactionHashes → GetPooledTransactions through the tx fetcher)
 * or in full (Transactions).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
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
  dev = await startDevNode()
}, 60_000)

afterAll(async () => {
  await Promise.allSettled(running.map((e) => e.stop()))
  await dev?.stop()
})

function watcher(args: string[]): Example {
  const e = runExample('mempool-watcher.ts', args)
  running.push(e)
  return e
}

const txLine = (hash: string) => new RegExp(`^tx ${hash} .*via=(\\S+) peer=`)

it('prints transactions announced before it connected and sent after, on eth/68 and eth/66', async () => {
  const { node, datadir, key } = dev
  const enode = node.enode as string
  // tx1 is pending before the watchers connect: a new peer gets the pending hashes announced
  // (txsync's initial announce), so the watcher must fetch it with GetPooledTransactions.
  const tx1 = signTransfer(key, { chainId: 1337n, nonce: 0n, value: 1n })
  expect(await sendTransaction(node, tx1)).toBe(bytesToHex(tx1.hash))

  // eth/68 with the node's genesis file; eth/66 without one (adopting the peer's network).
  const a = watcher(['--genesis', join(datadir, 'genesis.json'), enode])
  const b = watcher(['--eth', '66', enode])
  for (const w of [a, b]) {
    const m = await w.waitForLine(txLine(bytesToHex(tx1.hash)))
    expect(m[1]).toBe('GetPooledTransactions')
  }
  expect(a.stderr()).toMatch(/on eth\/68/)
  expect(b.stderr()).toMatch(/on eth\/66/)
  expect(node.pm.peerCount).toBe(2)

  // tx2 arrives after both are connected: with 2 peers, ⌊√2⌋ = 1 gets it in full
  // (Transactions), the other by hash.
  // Sent with send-transfer.ts (nonce 1: after the pending tx1), as the README shows.
  const send = runExample('send-transfer.ts', [
    '--rpc',
    node.rpcUrl as string,
    '--key-file',
    join(datadir, 'dev-signer-key'),
    '--value',
    '2',
  ])
  running.push(send)
  const tx2 = (await send.waitForLine(/^sent (0x[0-9a-f]{64})$/))[1]!
  const vias: string[] = []
  for (const w of [a, b]) vias.push((await w.waitForLine(txLine(tx2)))[1]!)
  expect(vias.sort()).toEqual(['GetPooledTransactions', 'Transactions'])
  // The whole line: what a user sees.
  expect(a.lines.find((l) => l.includes(tx2))).toMatch(
    /^tx 0x[0-9a-f]{64} type=2 nonce=1 to=0x000000000000000000000000000000000000dead value=2 gas=21000 fee=2000000000 size=\d+ via=\S+ peer=[0-9a-f]{8}$/,
  )
  // Each transaction once per watcher.
  for (const w of [a, b]) expect(w.lines.filter((l) => l.startsWith('tx '))).toHaveLength(2)

  // Ctrl-C: a clean stop that leaves nothing running (the process exits by itself).
  for (const w of [a, b]) expect(await w.stop()).toBe(0)
  for (const w of [a, b]) expect(w.stderr()).toMatch(/\[watcher\] stopped/)
}, 120_000)

it('refuses a peer of another network than its genesis file says', async () => {
  const genesis = join(dev.datadir, 'other-genesis.json')
  writeFileSync(genesis, JSON.stringify({ config: { chainId: 5 }, difficulty: '0x1' }))
  const w = watcher(['--genesis', genesis, dev.node.enode as string])
  await w.waitForStderr(/handshake refused: ErrNetworkIdMismatch/)
  expect(await w.stop()).toBe(0)
}, 120_000)
