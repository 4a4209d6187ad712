// Request round trips through Peer (id matching) over an in-memory pipe, and the cost of queued
// broadcasts to many peers. Not a test; figures depend on the machine and its load.
import { loadavg } from 'node:os'
import { decodeMessage, encodeMessage } from '@ethwire/rlp-wire'
import { genBlock, genHeader, Rand } from '@ethwire/rlp-wire/testing'
import { KnownSet, type Peer, PeerSet } from '../src/index.js'
import { peerPair } from '../src/testing.js'

console.log(
  `load average (1/5/15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
const rand = new Rand(3)
const header = genHeader(rand, 17)

/** A remote that answers every GetBlockHeaders with one header, and our read loop delivering. */
function servedPeer(version: number) {
  const { peer, remote, conn } = peerPair({ version })
  let running = true
  void (async () => {
    while (running) {
      const m = await remote.readMsg().catch(() => undefined)
      if (m === undefined) return
      const req = decodeMessage(version, m)
      if (req.name !== 'GetBlockHeaders') continue
      const res = encodeMessage(version, {
        name: 'BlockHeaders',
        requestId: req.requestId,
        headers: [header],
      } as never)
      await remote.writeMsg(res.code, res.payload)
    }
  })()
  void (async () => {
    for (;;) {
      const m = await conn.readMsg().catch(() => undefined)
      if (m === undefined) return
      peer.deliver(m)
    }
  })()
  return {
    peer,
    stop: () => {
      running = false
      void peer.disconnect()
    },
  }
}

async function roundTrips(version: number, inFlight: number, total: number) {
  const { peer, stop } = servedPeer(version)
  const one = () => peer.requestHeadersByNumber({ number: 1n, amount: 1 })
  for (let i = 0; i < 200; i++) await one()
  const t0 = performance.now()
  let left = total
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (left-- > 0) await one()
    }),
  )
  const ms = performance.now() - t0
  stop()
  console.log(
    `eth/${version} header request round trips, ${inFlight} in flight: ${Math.round((total / ms) * 1000).toLocaleString('en-US')}/s`,
  )
}

await roundTrips(68, 1, 20_000)
await roundTrips(68, 16, 20_000)
await roundTrips(63, 1, 20_000)

// Broadcast: queue 200 blocks to 50 peers (encoding and pipe writes included).
const set = new PeerSet<Peer>({ maxPeers: 50 })
const remotes = []
for (let i = 0; i < 50; i++) {
  const p = peerPair({ id: `p${i}`, options: { broadcastQueueSize: 1_000 } })
  set.register(p.peer)
  remotes.push(p.remote)
}
const blocks = Array.from({ length: 200 }, () => genBlock(rand))
const t0 = performance.now()
for (const b of blocks) for (const p of set.peersWithoutBlock(b.hash)) p.queueNewBlock(b, 1n)
const queuedMs = performance.now() - t0
await Promise.all(set.peers().map((p) => p.flushed()))
const allMs = performance.now() - t0
console.log(
  `broadcast 200 blocks x 50 peers: queued in ${queuedMs.toFixed(1)} ms, all written in ${allMs.toFixed(1)} ms (${Math.round((10_000 / allMs) * 1000).toLocaleString('en-US')} msgs/s)`,
)
await set.close()

const ks = new KnownSet(32_768)
const hashes = Array.from({ length: 100_000 }, (_, i) => {
  const h = new Uint8Array(32)
  new DataView(h.buffer).setUint32(0, i)
  return h
})
const t1 = performance.now()
for (const h of hashes) ks.add(h)
for (const h of hashes) ks.has(h)
console.log(
  `KnownSet(32,768) add+has of 32-byte hashes: ${Math.round((200_000 / (performance.now() - t1)) * 1000).toLocaleString('en-US')} ops/s`,
)

// The load a node sees: the same 20,000 transaction hashes marked in 100 peers' sets, then
// looked up again in each (one hash object shared by every peer, as the broadcast path does).
const shared = Array.from({ length: 20_000 }, (_, i) => {
  const h = new Uint8Array(32)
  new DataView(h.buffer).setUint32(4, i)
  return h
})
const peerSets = Array.from({ length: 100 }, () => new KnownSet(32_768))
const t2 = performance.now()
for (const s of peerSets) for (const h of shared) s.add(h)
for (const s of peerSets) for (const h of shared) s.has(h)
console.log(
  `KnownSet x 100 peers, 20,000 shared hashes add+has: ${Math.round((4_000_000 / (performance.now() - t2)) * 1000).toLocaleString('en-US')} ops/s`,
)
