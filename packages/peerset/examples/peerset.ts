// A peer set with two in-memory peers: a header request answered by the remote side (matched by
// request id), the best peer, and a queued block announcement.
// Run: pnpm --filter @ethwire/peerset example
import { Peer, PeerSet } from '@ethwire/peerset'
import { withId } from '@ethwire/peerset/testing'
import { bytesToHex, decodeMessage, encodeMessage, type Status } from '@ethwire/rlp-wire'
import { genBlock, genHeader, msgPipe, Rand } from '@ethwire/rlp-wire/testing'

const rand = new Rand(1)
const status = (td: bigint): Status => ({
  version: 68,
  networkId: 1n,
  td,
  head: new Uint8Array(32).fill(1),
  genesis: new Uint8Array(32).fill(2),
  forkId: { hash: Uint8Array.of(0xfc, 0x64, 0xec, 0x04), next: 0n },
})

const peers = new PeerSet<Peer>({ maxPeers: 10 })
peers.on('added', (p) => console.log('joined', p.id, 'td', p.td))

// Our ends of two connections (the remote ends play the other nodes).
const [ours1, theirs1] = msgPipe({ version: 68 })
const [ours2, theirs2] = msgPipe({ version: 68 })
const p1 = new Peer({ conn: ours1, status: status(100n) })
const p2 = new Peer({ conn: withId(ours2, 'pipe-c'), status: status(250n) })
peers.register(p1)
peers.register(p2)
console.log('best peer:', peers.bestPeer()?.id)

// The remote answers a GetBlockHeaders; our read loop hands the response to deliver().
const serving = (async () => {
  const req = decodeMessage(68, await theirs1.readMsg())
  if (req.name !== 'GetBlockHeaders') throw new Error('unexpected request')
  const res = encodeMessage(68, {
    name: 'BlockHeaders',
    requestId: req.requestId!,
    headers: [genHeader(rand, 17)],
  })
  await theirs1.writeMsg(res.code, res.payload)
})()
const pending = p1.requestHeadersByNumber({ number: 1n, amount: 1 })
await serving
console.log('deliver ->', p1.deliver(await ours1.readMsg()))
console.log('got header', bytesToHex((await pending)[0]!.hash).slice(0, 18))

// Queued broadcast of a new block to every peer that does not know it.
const block = genBlock(rand)
for (const p of peers.peersWithoutBlock(block.hash)) p.queueNewBlock(block, 300n)
const got = decodeMessage(68, await theirs2.readMsg())
console.log('peer 2 received', got.name, 'queued drops:', p2.droppedBroadcasts)
await peers.close()
console.log('closed; size', peers.size)
