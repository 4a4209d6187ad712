// Discovery benchmarks (not a test): `pnpm --filter @ethwire/discv4 bench`.
//
// 1. packets/s handled: bonded raw-wire peers send pre-signed Ping, FindNode and ENRRequest
//    packets to one service over 127.0.0.1; the time runs from the first send to the last
//    packet counted as handled (sent in windows of 64 so no socket buffer overflows).
// 2. lookups/s: iterative lookups with random targets on a converged 100-node loopback network,
//    one at a time and 4 at once.
// 3. time for a fresh node to find 90% of the 100-node network (distinct nodes seen in
//    Neighbors answers, lookups back to back), median over rounds.
//
// All services run in this one process (one event loop), so every figure includes the cost of
// the other side too. The load average is printed with the figures.
import { loadavg } from 'node:os'
import { loadRecoverer } from '@ethwire/crypto'
import {
  createDiscv4,
  type Discv4,
  encodePacket,
  ipToBytes,
  PacketType,
  publicKeyOf,
  signerName,
} from '../src/index.js'
import { startLoopbackNetwork, TestPeer, testKey, waitFor } from '../src/testing.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
// --packets: the packets/s figures only (to compare signing/recovery changes side by side)
const packetsOnly = args.includes('--packets')
const rounds = quick ? 1 : 3
const networkSize = quick ? 40 : 100

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
const fmt = (x: number) => Math.round(x).toLocaleString('en-US')

async function packetRates(): Promise<void> {
  const disc = createDiscv4(
    {},
    { privateKey: testKey(1), listen: { host: '127.0.0.1', port: 0 }, tcpPort: 30303 },
  )
  await disc.start()
  // A table to answer FindNode from: 40 loopback nodes.
  const { makeNode } = await import('../src/index.js')
  disc.addNodes(
    Array.from({ length: 40 }, (_, i) =>
      makeNode({
        publicKey: publicKeyOf(testKey(100 + i)),
        ip: `127.0.${i}.1`,
        udpPort: 30303,
        tcpPort: 30303,
      }),
    ),
  )
  const peers: TestPeer[] = []
  for (let i = 0; i < 8; i++) {
    const p = await TestPeer.create({ privateKey: testKey(500 + i) })
    await p.bond(disc.address)
    p.clear()
    peers.push(p)
  }
  // Every bond complete before the (blocking) pre-signing below starts.
  await waitFor(() => (disc.stats.handled.Pong ?? 0) >= peers.length, 'every Pong handled')
  const total = quick ? 2_000 : 6_000
  for (const kind of ['Ping', 'FindNode', 'ENRRequest'] as const) {
    const rates: number[] = []
    for (let r = 0; r < rounds; r++) {
      // Pre-sign everything: the sender's cost is not measured.
      const packets = Array.from({ length: total }, (_, i) => {
        const p = peers[i % peers.length]!
        const expiration = p.expiration(60_000)
        const packet =
          kind === 'Ping'
            ? {
                type: PacketType.Ping,
                version: 4n,
                from: p.endpoint(),
                to: { ip: ipToBytes('127.0.0.1'), udpPort: disc.address.port, tcpPort: 0 },
                expiration,
                enrSeq: BigInt(i),
              }
            : kind === 'FindNode'
              ? {
                  type: PacketType.FindNode,
                  target: publicKeyOf(testKey(9000 + (i % 50))),
                  expiration,
                }
              : { type: PacketType.EnrRequest, expiration }
        return { peer: p, bytes: encodePacket(packet as never, p.privateKey).bytes }
      })
      const before = disc.stats.handled[kind] ?? 0
      const t0 = performance.now()
      for (let i = 0; i < packets.length; i += 64) {
        for (const { peer, bytes } of packets.slice(i, i + 64)) peer.sendRaw(disc.address, bytes)
        const want = before + Math.min(i + 64, packets.length)
        try {
          await waitFor(() => (disc.stats.handled[kind] ?? 0) >= want, `${kind} handled`, {
            timeoutMs: 60_000,
            intervalMs: 0,
          })
        } catch (err) {
          console.log(JSON.stringify(disc.stats), want)
          throw err
        }
      }
      const ms = performance.now() - t0
      rates.push((total / ms) * 1000)
      for (const p of peers) p.clear()
    }
    console.log(
      `${kind.padEnd(10)} handled ${fmt(median(rates)).padStart(7)} packets/s  (median of ${rounds}: ${rates.map(fmt).join(', ')}; load ${load()})`,
    )
  }
  console.log(`  dropped: ${JSON.stringify(disc.stats.dropped)}`)
  for (const p of peers) await p.close()
  await disc.stop()
}

async function networkFigures(): Promise<void> {
  const t0 = performance.now()
  const net = await startLoopbackNetwork({ count: networkSize, keyOffset: 20_000 })
  // A running node's dialer walks the DHT all the time; here one lookup per node (4 at a time)
  // stands in for that, then the network is left quiet (refresh every 30 min, as by default).
  const queue = [...net.nodes]
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) await n.lookup()
    }),
  )
  const sizes = net.nodes.map((n) => n.tableSize).sort((a, b) => a - b)
  console.log(
    `${networkSize}-node network up and walked once in ${fmt(performance.now() - t0)} ms; table sizes min ${sizes[0]}, median ${median(sizes)}, max ${sizes.at(-1)} (load ${load()})`,
  )
  // Lookups per second from one node.
  const from = net.nodes[networkSize - 1]!
  for (let i = 0; i < 5; i++) await from.lookup() // warm: bonds with the nodes it will ask
  for (const parallel of [1, 4]) {
    const rates: number[] = []
    for (let r = 0; r < rounds; r++) {
      const n = quick ? 8 : 20
      const t = performance.now()
      let done = 0
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (done < n) {
            done++
            await from.lookup()
          }
        }),
      )
      rates.push((n / (performance.now() - t)) * 1000)
    }
    console.log(
      `lookups/s, ${parallel} at a time: ${median(rates).toFixed(2)}  (median of ${rounds}: ${rates.map((x) => x.toFixed(2)).join(', ')}; load ${load()})`,
    )
  }
  // A fresh node finding 90% of the network.
  const want = Math.ceil((networkSize - 0) * 0.9)
  const times: number[] = []
  for (let r = 0; r < rounds; r++) {
    const fresh: Discv4 = createDiscv4(
      {},
      {
        privateKey: testKey(90_000 + r),
        listen: { host: '127.0.0.1', port: 0 },
        tcpPort: 30303,
        bootnodes: [net.nodes[0]!.enode],
      },
    )
    const seen = new Set<string>()
    const t = performance.now()
    await fresh.start()
    while (seen.size < want && performance.now() - t < 300_000) {
      await fresh.lookup(undefined, {
        onFound: (nodes) => {
          for (const x of nodes) seen.add(x.idHex)
        },
      })
    }
    if (seen.size < want) throw new Error(`fresh node saw only ${seen.size} of ${want} in 300 s`)
    times.push(performance.now() - t)
    await fresh.stop()
  }
  console.log(
    `fresh node sees ${want} of ${networkSize} nodes in ${fmt(median(times))} ms  (median of ${rounds}: ${times.map(fmt).join(', ')}; load ${load()})`,
  )
  await net.stop()
}

console.log(
  `node ${process.version}, secp256k1 recovery: ${loadRecoverer().name}, signing: ${signerName()}, load average ${load()}${quick ? ' (quick)' : ''}`,
)
await packetRates()
if (!packetsOnly) await networkFigures()
