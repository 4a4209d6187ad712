import { buildDnsTree, createDnsClient, Enr, ipToBytes, systemTxtResolver } from '@ethwire/discv4'
import { startDnsServer, testKey } from '@ethwire/discv4/testing'

// Publish a signed EIP-1459 tree of five records on a DNS server on 127.0.0.1 …
const records = [1, 2, 3, 4, 5].map((i) =>
  Enr.sign({
    privateKey: testKey(100 + i),
    seq: 1n,
    entries: { ip: ipToBytes(`10.0.0.${i}`), udp: 30303, tcp: 30303 },
  }),
)
const tree = buildDnsTree({ domain: 'nodes.test', privateKey: testKey(99), seq: 1, enrs: records })
const server = await startDnsServer(tree.records)
console.log('tree:', tree.url)

// … and read it back through node:dns, as a client of `enrtree://<key>@nodes.test`.
const client = createDnsClient({ resolver: systemTxtResolver({ servers: [server.address] }) })
const synced = await client.syncTree(tree.url) // everything, checked against the tree's key
console.log('synced seq', synced.seq, 'with', synced.enrs.length, 'records')
const walk = client.randomNodes([tree.url]) // lazily, in random order, one DNS name at a time
for (let i = 0; i < 3; i++) {
  const { value } = await walk.next()
  console.log('node', value?.ip, value?.tcpPort)
}
await walk.return?.()
await server.close()
