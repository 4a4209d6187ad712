/**
 * The dialer's source: a random walk whose nodes come with their records and pass the caller's
 * fork-id filter, mixed with DNS-listed nodes. Real sockets and clock; bounded waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildDnsTree,
  type DiscoveredNode,
  Enr,
  ethEntry,
  type ForkId,
  ipToBytes,
  systemTxtResolver,
} from '../src/index.js'
import { startDnsServer, startLoopbackNetwork, testKey, waitFor } from '../src/testing.js'

const forkA: ForkId = { hash: Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa), next: 0n }
const forkB: ForkId = { hash: Uint8Array.of(0xbb, 0xbb, 0xbb, 0xbb), next: 0n }
const isA = (n: DiscoveredNode) =>
  n.enr?.ethForkId !== undefined &&
  Buffer.from(n.enr.ethForkId.hash).equals(Buffer.from(forkA.hash))

let net: Awaited<ReturnType<typeof startLoopbackNetwork>>
let dns: Awaited<ReturnType<typeof startDnsServer>>
let dnsNodes: Enr[]
let treeUrl: string

beforeAll(async () => {
  dnsNodes = [0, 1, 2].map((i) =>
    Enr.sign({
      privateKey: testKey(9000 + i),
      seq: 1n,
      entries: {
        ip: ipToBytes(`10.77.0.${i + 1}`),
        udp: 30303,
        tcp: 30303,
        eth: ethEntry(i === 2 ? forkB : forkA),
      },
    }),
  )
  const tree = buildDnsTree({
    domain: 'mix.test',
    privateKey: testKey(9100),
    seq: 1,
    enrs: dnsNodes,
  })
  treeUrl = tree.url
  dns = await startDnsServer(tree.records)
  net = await startLoopbackNetwork({
    count: 8,
    keyOffset: 700,
    options: (i) => ({
      forkId: i >= 5 ? forkB : forkA,
      ...(i === 0 ? { nodeFilter: isA, dnsTrees: [treeUrl] } : {}),
    }),
    deps: (i) => (i === 0 ? { dnsResolver: systemTxtResolver({ servers: [dns.address] }) } : {}),
  })
  await waitFor(() => net.nodes[0]!.tableSize >= 7, 'the bootnode knows all 7', {
    timeoutMs: 60_000,
  })
})

afterAll(async () => {
  await net?.stop()
  await dns?.close()
})

describe('randomNodes()', () => {
  it('hands out nodes with their records, only those the filter accepts; DNS nodes mixed in', async () => {
    const boot = net.nodes[0]!
    const wantA = new Set(net.nodes.slice(1, 5).map((n) => n.localNode.idHex))
    const wantDns = new Set(
      dnsNodes
        .filter((e) => isA({ enr: e } as DiscoveredNode))
        .map((e) => Buffer.from(e.nodeId).toString('hex')),
    )
    const seen = new Map<string, DiscoveredNode>()
    const it = boot.randomNodes()
    const deadline = Date.now() + 60_000
    while ([...wantA, ...wantDns].some((id) => !seen.has(id)) && Date.now() < deadline) {
      const r = await it.next()
      if (r.done) break
      seen.set(r.value.idHex, r.value)
    }
    await it.return?.()
    for (const id of [...wantA, ...wantDns]) expect(seen.has(id), id).toBe(true)
    for (const n of seen.values()) {
      expect(n.enr, n.idHex).toBeDefined()
      expect(isA(n), n.idHex).toBe(true)
      expect(n.tcpPort).toBeGreaterThan(0)
    }
  }, 90_000)

  it('without a filter, every node with a record; includeDns: false leaves the tree out', async () => {
    const boot = net.nodes[0]!
    const all = new Set(net.nodes.slice(1).map((n) => n.localNode.idHex))
    const seen = new Set<string>()
    const it = boot.randomNodes({ filter: () => true, includeDns: false })
    const deadline = Date.now() + 60_000
    while ([...all].some((id) => !seen.has(id)) && Date.now() < deadline) {
      const r = await it.next()
      if (r.done) break
      seen.add(r.value.idHex)
      expect(r.value.ip).toBe('127.0.0.1')
    }
    await it.return?.()
    expect([...all].every((id) => seen.has(id))).toBe(true)
  }, 90_000)

  it('ends when the service stops', async () => {
    const n = net.nodes[3]!
    const it = n.randomNodes()
    const pending = it.next()
    await n.stop()
    const r = await pending
    // Either a node that was ready, or the end; then the end for good.
    if (!r.done) expect((await it.next()).done).toBe(true)
  })
})
