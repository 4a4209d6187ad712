/**
 * EIP-1459: tree entries, the EIP's example zone, building and signing trees, and the client
 * against a real DNS server on 127.0.0.1 (a minimal UDP TXT responder) through node:dns.
 */
import { hexToBytes } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  base32Decode,
  base32Encode,
  buildDnsTree,
  createDnsClient,
  type DiscoveredNode,
  Enr,
  ethEntry,
  ethNodeFilter,
  ipToBytes,
  isDiscv4Error,
  parseEntry,
  parseLink,
  parseRoot,
  publicKeyOf,
  subdomainOf,
  systemTxtResolver,
  type TxtResolver,
  verifyRoot,
} from '../src/index.js'
import { ManualClock, startDnsServer, type TestDnsServer, testKey } from '../src/testing.js'
import example from './fixtures/dns-eip1459-example.json' with { type: 'json' }

const servers: TestDnsServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function server(records: ReadonlyMap<string, string> | Record<string, string>) {
  const s = await startDnsServer(records)
  servers.push(s)
  return s
}

function enrs(from: number, n: number, port = 30303): Enr[] {
  return Array.from({ length: n }, (_, i) =>
    Enr.sign({
      privateKey: testKey(from + i),
      seq: 1n,
      entries: {
        ip: ipToBytes(`10.0.${(from + i) >> 8}.${(from + i) & 255}`),
        udp: port,
        tcp: port,
      },
    }),
  )
}

async function take(it: AsyncIterator<DiscoveredNode>, n: number): Promise<DiscoveredNode[]> {
  const out: DiscoveredNode[] = []
  while (out.length < n) {
    const r = await it.next()
    if (r.done) break
    out.push(r.value)
  }
  return out
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return isDiscv4Error(err) ? err.code : `not a Discv4Error: ${String(err)}`
  }
  return undefined
}

describe('entries', () => {
  it('base32 round-trips and is strict', () => {
    const b = Uint8Array.from({ length: 33 }, (_, i) => i * 7)
    expect(base32Decode(base32Encode(b))).toEqual(b)
    expect(base32Encode(new Uint8Array(16)).length).toBe(26)
    expect(base32Decode('A1')).toBeUndefined()
    expect(base32Decode('AB')).toBeUndefined() // non-zero trailing bits
  })

  it('the EIP-1459 example zone: names are the hashes of their entries, the root verifies', () => {
    const link = parseLink(example.url)
    expect(link.domain).toBe('nodes.example.org')
    expect(link.publicKey).toEqual(publicKeyOf(hexToBytes(example.signingKey)))
    const root = parseRoot(example.records['nodes.example.org'])
    expect(root.seq).toBe(1)
    expect(verifyRoot(root, link.publicKey)).toBe(true)
    expect(verifyRoot(root, publicKeyOf(testKey(1)))).toBe(false)
    for (const [name, txt] of Object.entries(example.records)) {
      if (name === 'nodes.example.org') continue
      expect(subdomainOf(txt)).toBe(name.split('.')[0])
      parseEntry(txt)
    }
    const branch = parseEntry(example.records['JWXYDBPXYWG6FX3GMDIBFA6CJ4.nodes.example.org'])
    expect(branch.kind === 'branch' && branch.children.length).toBe(3)
  })

  it('rejects malformed entries with typed errors', () => {
    const bad = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return isDiscv4Error(err) ? err.code : 'other'
      }
      return undefined
    }
    expect(bad(() => parseRoot('enrtree-root:v1 e=X l=Y seq=1 sig=AA'))).toBe('ErrDnsSyntax')
    expect(bad(() => parseEntry('enrtree-branch:NOT_BASE32!'))).toBe('ErrDnsSyntax')
    expect(bad(() => parseEntry('enr:AAAA'))).toBe('ErrDnsSyntax')
    expect(bad(() => parseEntry('v=spf1 -all'))).toBe('ErrDnsSyntax')
    expect(bad(() => parseLink('enrtree://AAAA@x.org'))).toBe('ErrDnsSyntax')
    expect(bad(() => parseLink('https://x.org'))).toBe('ErrDnsSyntax')
  })

  it('a tree of 40 records: branches of at most 13, all records within a DNS packet', () => {
    const t = buildDnsTree({
      domain: 'n.test',
      privateKey: testKey(1),
      seq: 3,
      enrs: enrs(100, 40),
    })
    const branches = [...t.records.values()].filter((v) => v.startsWith('enrtree-branch:'))
    for (const b of branches) expect(b.slice(15).split(',').length).toBeLessThanOrEqual(13)
    for (const v of t.records.values()) expect(v.length).toBeLessThan(450)
    expect([...t.records.values()].filter((v) => v.startsWith('enr:')).length).toBe(40)
    expect(parseLink(t.url).publicKey).toEqual(publicKeyOf(testKey(1)))
  })
})

describe('client over a DNS server on 127.0.0.1', () => {
  it('syncs the EIP example zone (three records, one link)', async () => {
    const s = await server(example.records)
    const c = createDnsClient({ resolver: systemTxtResolver({ servers: [s.address] }) })
    const t = await c.syncTree(example.url)
    expect(t.seq).toBe(1)
    expect(t.links).toEqual([example.link])
    expect(t.enrs.length).toBe(3)
    expect(s.queries).toContain('nodes.example.org')
  })

  it('walks a tree lazily and randomly: every node, each lookup one name', async () => {
    const t = buildDnsTree({
      domain: 'walk.test',
      privateKey: testKey(2),
      seq: 1,
      enrs: enrs(200, 30),
    })
    const s = await server(t.records)
    const c = createDnsClient(
      { resolver: systemTxtResolver({ servers: [s.address] }) },
      { rateLimitPerSecond: 1000, rateBurst: 1000 },
    )
    const it = c.randomNodes([t.url])
    const first = await take(it, 1)
    // Lazy: one node needs the root, the link root, and a branch path, not the whole tree.
    expect(s.queries.length).toBeLessThan(8)
    const rest = await take(it, 29)
    const ids = new Set([...first, ...rest].map((n) => n.idHex))
    expect(ids.size).toBe(30)
    await it.return?.()
    // Random order: not the tree's (sorted by id) order.
    const sorted = [...ids].sort()
    expect([...first, ...rest].map((n) => n.idHex)).not.toEqual(sorted)
  })

  it('randomNodes with a filter: only the nodes it accepts (the fork-id check of eth entries)', async () => {
    const good = { hash: Uint8Array.of(1, 2, 3, 4), next: 0n }
    const bad = { hash: Uint8Array.of(9, 9, 9, 9), next: 0n }
    const records = Array.from({ length: 9 }, (_, i) =>
      Enr.sign({
        privateKey: testKey(700 + i),
        seq: 1n,
        entries: {
          ip: ipToBytes(`10.7.0.${i + 1}`),
          udp: 30303,
          tcp: 30303,
          ...(i % 3 === 2 ? {} : { eth: ethEntry(i % 3 === 0 ? good : bad) }),
        },
      }),
    )
    const t = buildDnsTree({ domain: 'fork.test', privateKey: testKey(7), seq: 1, enrs: records })
    const s = await server(t.records)
    const c = createDnsClient(
      { resolver: systemTxtResolver({ servers: [s.address] }) },
      { rateLimitPerSecond: 1000, rateBurst: 1000 },
    )
    const accept = (id: { hash: Uint8Array }) => Buffer.from(id.hash).equals(Buffer.from(good.hash))
    const idOf = (e: Enr) => Buffer.from(e.nodeId).toString('hex')
    for (const [includeNoEth, want] of [
      [false, records.filter((_, i) => i % 3 === 0)],
      [true, records.filter((_, i) => i % 3 !== 1)],
    ] as const) {
      const it = c.randomNodes([t.url], { filter: ethNodeFilter(accept, { includeNoEth }) })
      // Each node comes out once per pass over the tree; 3 (6) nodes pass: 12 reads is 4 (2) passes.
      const got = await take(it, 12)
      await it.return?.()
      expect(new Set(got.map((n) => n.idHex))).toEqual(new Set(want.map(idOf)))
    }
  })

  it('follows links to other trees', async () => {
    const leaf = buildDnsTree({
      domain: 'leaf.test',
      privateKey: testKey(3),
      seq: 1,
      enrs: enrs(300, 3),
    })
    const top = buildDnsTree({
      domain: 'top.test',
      privateKey: testKey(4),
      seq: 1,
      enrs: enrs(400, 2),
      links: [leaf.url],
    })
    const s = await server(new Map([...top.records, ...leaf.records]))
    const c = createDnsClient(
      { resolver: systemTxtResolver({ servers: [s.address] }) },
      { rateLimitPerSecond: 1000, rateBurst: 1000 },
    )
    const it = c.randomNodes([top.url])
    const seen = new Set<string>()
    for (let i = 0; i < 200 && seen.size < 5; i++) {
      const r = await it.next()
      if (r.done) break
      seen.add(r.value.idHex)
    }
    await it.return?.()
    expect(seen.size).toBe(5)
    expect(s.queries).toContain('leaf.test')
  })

  it('re-syncs when the root changes (new seq); ignores a root whose seq went down', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const key = testKey(5)
    const v1 = buildDnsTree({ domain: 'seq.test', privateKey: key, seq: 1, enrs: enrs(500, 2) })
    const v2 = buildDnsTree({ domain: 'seq.test', privateKey: key, seq: 2, enrs: enrs(600, 2) })
    const s = await server(v1.records)
    const c = createDnsClient(
      { resolver: systemTxtResolver({ servers: [s.address] }), clock },
      { rateLimitPerSecond: 1000, rateBurst: 1000, recheckIntervalMs: 60_000 },
    )
    const it = c.randomNodes([v1.url])
    const old = new Set(enrs(500, 2).map((e) => Buffer.from(e.nodeId).toString('hex')))
    const fresh = new Set(enrs(600, 2).map((e) => Buffer.from(e.nodeId).toString('hex')))
    const a = await take(it, 4)
    expect(a.every((n) => old.has(n.idHex))).toBe(true)
    s.setRecords(new Map([...v1.records, ...v2.records, ['seq.test', v2.records.get('seq.test')!]]))
    await clock.advance(61_000) // the root is due again
    const b = await take(it, 4)
    expect(b.every((n) => fresh.has(n.idHex))).toBe(true)
    // Going back to seq 1 is refused: the walk stays on seq 2.
    s.setRecords(new Map([...v1.records, ...v2.records, ['seq.test', v1.records.get('seq.test')!]]))
    await clock.advance(61_000)
    const c2 = await take(it, 4)
    expect(c2.every((n) => fresh.has(n.idHex))).toBe(true)
    await it.return?.()
  })

  it('rejects a root signed by another key, and entries that do not match their names', async () => {
    const t = buildDnsTree({
      domain: 'bad.test',
      privateKey: testKey(6),
      seq: 1,
      enrs: enrs(700, 3),
    })
    const forged = buildDnsTree({
      domain: 'bad.test',
      privateKey: testKey(7),
      seq: 1,
      enrs: enrs(700, 3),
    })
    const s = await server(forged.records)
    const c = createDnsClient({ resolver: systemTxtResolver({ servers: [s.address] }) })
    expect(await codeOf(c.syncTree(t.url))).toBe('ErrDnsBadSignature')
    // Right root, but one leaf swapped for another node's record under the same name.
    const swapped = new Map(t.records)
    const leafName = [...swapped.entries()].find(([, v]) => v.startsWith('enr:'))![0]
    swapped.set(leafName, enrs(800, 1)[0]!.toText())
    s.setRecords(swapped)
    expect(await codeOf(c.syncTree(t.url))).toBe('ErrDnsHashMismatch')
    s.setRecords({})
    expect(await codeOf(c.syncTree(t.url))).toBe('ErrDnsNoRoot')
  })

  it('an injected resolver is used as it is', async () => {
    const t = buildDnsTree({
      domain: 'inj.test',
      privateKey: testKey(8),
      seq: 1,
      enrs: enrs(900, 2),
    })
    const asked: string[] = []
    const resolver: TxtResolver = {
      async resolveTxt(name) {
        asked.push(name)
        const v = t.records.get(name)
        return v === undefined ? [] : [v]
      },
    }
    const c = createDnsClient({ resolver })
    const synced = await c.syncTree(t.url)
    expect(synced.enrs.length).toBe(2)
    expect(asked[0]).toBe('inj.test')
  })
})
