import { createDiscv4 } from '@ethwire/discv4'
import { testKey } from '@ethwire/discv4/testing'

const forkId = { hash: Uint8Array.of(0xfc, 0x64, 0xec, 0x04), next: 1150000n }
const listen = { host: '127.0.0.1', port: 0 }

// A bootnode and three nodes on loopback; all advertise the same fork id in their records.
const boot = createDiscv4({}, { privateKey: testKey(0), listen, tcpPort: 30303, forkId })
await boot.start()
const nodes = [1, 2, 3].map((i) =>
  createDiscv4(
    {},
    { privateKey: testKey(i), listen, tcpPort: 30303, forkId, bootnodes: [boot.enode] },
  ),
)
for (const n of nodes) await n.start()

// Our node: dial only nodes whose `eth` entry carries a fork id we accept (EIP-2124; with
// @ethwire/handshake: `(id) => forkFilter(id) === undefined`). Nodes without an `eth` entry are
// left out too, unless `includeNoEth: true`.
const me = createDiscv4(
  {},
  {
    privateKey: testKey(9),
    listen,
    tcpPort: 30303,
    forkId,
    bootnodes: [boot.enode],
    forkFilter: (id) => id.hash.every((b, i) => b === forkId.hash[i]),
  },
)
await me.start()
console.log('our record:', me.localEnr.toText())

const found = await me.lookup() // an iterative lookup of a random target
console.log('lookup found', found.length, 'nodes')

// What a dialer does: take nodes (with their records, filtered) from the random walk.
const seen = new Set<string>()
for await (const node of me.randomNodes()) {
  seen.add(node.idHex)
  console.log('dial', `${node.ip}:${node.tcpPort}`, 'eth', node.enr?.describe().eth)
  if (seen.size === 4) break // the bootnode and the three others
}
for (const n of [me, ...nodes, boot]) await n.stop()
