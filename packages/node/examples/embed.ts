// Embedding an ethwire node: a dev node that mines, a second node that joins it, JSON-RPC calls.
// Run from packages/node: node --conditions=@ethwire/source --import tsx examples/embed.ts
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, initCommand, silentLogger } from '@ethwire/node'

const root = mkdtempSync(join(tmpdir(), 'ethwire-embed-'))
const rpc = async (url: string, method: string, params: unknown[] = []) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  return ((await res.json()) as { result: unknown }).result
}

// 1. a --dev node: clique genesis + signer key made in its datadir, a block every second
const miner = createNode({
  datadir: join(root, 'miner'),
  dev: { periodSeconds: 1 },
  http: { host: '127.0.0.1', port: 0 }, // 0 = any free port
  port: 0, // libp2p; add rlpxPort to listen for RLPx as well
  logger: silentLogger, // or verbosity: 3 for go-ethereum style lines on stderr
})
await miner.start()
console.log('miner JSON-RPC at', miner.rpcUrl)

// 2. a second node with the miner's genesis, dialing it as a bootnode
const peerDir = join(root, 'peer')
await initCommand(
  { datadir: peerDir, fakePow: false, log: silentLogger, out: () => {} },
  join(root, 'miner', 'genesis.json'),
)
const peer = createNode({
  datadir: peerDir,
  http: { port: 0 },
  port: 0,
  bootnodes: miner.multiaddrs,
  minSyncPeers: 1,
  logger: silentLogger,
})
await peer.start()

// 3. wait until the peer has followed the miner to block 3
while (peer.chain.currentHeader().number < 3n) await new Promise((r) => setTimeout(r, 200))
console.log(
  'peer head',
  Number(BigInt((await rpc(peer.rpcUrl as string, 'eth_blockNumber')) as string)),
)
console.log('peer peers', await rpc(peer.rpcUrl as string, 'net_peerCount'))

await peer.stop()
await miner.stop()
rmSync(root, { recursive: true, force: true })
console.log('stopped')
