import { afterAll, beforeAll, expect, it } from 'vitest'
import { crawl, formatCrawled } from '../examples/crawler.js'
import { startLoopbackNetwork, waitFor } from '../src/testing.js'

let net: Awaited<ReturnType<typeof startLoopbackNetwork>>
const count = 12
const forkId = { hash: Uint8Array.of(0x37, 0x7a, 0xaa, 0x78), next: 0n }

beforeAll(async () => {
  // Replies may be late on a loaded machine; quick liveness checks make FindNode answers (which
  // prefer checked nodes, as go-ethereum's) cover the network soon.
  net = await startLoopbackNetwork({
    count,
    keyOffset: 1200,
    options: () => ({ forkId, responseTimeoutMs: 2_000, revalidationIntervalMs: 300 }),
  })
  // Let the nodes learn each other first (the bootnode hears from all).
  await waitFor(
    () => net.nodes[0]!.tableEntries().filter((e) => e.live).length >= count - 1,
    'the bootnode has checked everyone',
    { timeoutMs: 60_000 },
  )
})
afterAll(async () => {
  await net?.stop()
})

it('examples/crawler.ts crawls the loopback network from its bootnode and prints ENR fields', async () => {
  const lines = new Map<string, string>()
  const found = await crawl({
    bootnodes: [net.nodes[0]!.enode],
    listen: { host: '127.0.0.1' },
    durationMs: 60_000,
    responseTimeoutMs: 1_000,
    targetsPerNode: 2,
    onNode: (c) => lines.set(c.node.idHex, formatCrawled(c)),
  })
  const ids = new Set(net.nodes.map((n) => n.localNode.idHex))
  expect([...ids].every((id) => found.has(id))).toBe(true)
  for (const id of ids) {
    const c = found.get(id)!
    expect(c.node.enr?.ip).toBe('127.0.0.1')
    expect(c.node.enr?.ethForkId?.hash).toEqual(forkId.hash)
  }
  expect(lines.size).toBe(found.size)
  const printed = [...lines.values()]
  expect(
    printed.filter((l) => l.includes('eth=0x377aaa78/0') && l.includes('ip=127.0.0.1')).length,
  ).toBe(count)
}, 90_000)
