import { describe, expect, it } from 'vitest'
import {
  bucketCount,
  bucketMinDistance,
  bucketSize,
  type DiscoveredNode,
  KademliaTable,
  logDistance,
  makeNode,
  maxReplacements,
  publicKeyOf,
} from '../src/index.js'
import { seededRandom, testKey } from '../src/testing.js'

const self = makeNode({
  publicKey: publicKeyOf(testKey(0)),
  ip: '10.0.0.1',
  udpPort: 1,
  tcpPort: 1,
})

/** Nodes whose ids fall in bucket `index` of `self`, from a pool of deterministic keys. */
const pool: DiscoveredNode[] = []
for (let i = 1; i <= 1500; i++) {
  pool.push(
    makeNode({ publicKey: publicKeyOf(testKey(i)), ip: '0.0.0.0', udpPort: 30303, tcpPort: 30303 }),
  )
}
function at(node: DiscoveredNode, ip: string, udpPort = 30303): DiscoveredNode {
  return makeNode({ publicKey: node.publicKey, ip, udpPort, tcpPort: 30303 })
}
function inBucket(t: KademliaTable, index: number, n: number): DiscoveredNode[] {
  const out = pool.filter((p) => t.bucketIndex(p.id) === index).slice(0, n)
  if (out.length < n) throw new Error(`pool has only ${out.length} nodes for bucket ${index}`)
  return out
}

function newTable(now = () => 1000, opts: { limitLanIps?: boolean } = {}) {
  return new KademliaTable({ selfId: self.id, now, random: seededRandom(3), ...opts })
}

describe('layout', () => {
  it('17 buckets by log distance; distances ≤ 239 share bucket 0', () => {
    expect(bucketCount).toBe(17)
    expect(bucketMinDistance).toBe(239)
    const t = newTable()
    for (const p of pool.slice(0, 200)) {
      const d = logDistance(self.id, p.id)
      expect(t.bucketIndex(p.id)).toBe(d <= 239 ? 0 : d - 240)
    }
    expect(logDistance(self.id, self.id)).toBe(0)
    const flipTop = self.id.slice()
    flipTop[0]! ^= 0x80
    expect(logDistance(self.id, flipTop)).toBe(256)
    const flipLow = self.id.slice()
    flipLow[31]! ^= 1
    expect(logDistance(self.id, flipLow)).toBe(1)
    expect(t.bucketIndex(flipLow)).toBe(0)
    expect(t.bucketIndex(flipTop)).toBe(16)
  })

  it('a full bucket (16) sends newcomers to its replacement list (10, newest first)', () => {
    const t = newTable()
    const nodes = inBucket(t, 16, bucketSize + maxReplacements + 2)
    nodes.forEach((n, i) => {
      const r = t.add(at(n, `10.1.${i}.1`))
      expect(r).toBe(i < bucketSize ? 'added' : 'replacement')
    })
    expect(t.bucketSizes()[16]).toEqual({ entries: bucketSize, replacements: maxReplacements })
    expect(t.size).toBe(bucketSize)
    // Removing an entry promotes a replacement.
    const gone = nodes[0]!
    const rep = t.delete(gone.idHex)
    expect(rep).toBeDefined()
    expect(t.size).toBe(bucketSize)
    expect(t.get(gone.idHex)).toBeUndefined()
    expect(t.bucketSizes()[16]!.replacements).toBe(maxReplacements - 1)
  })

  it('closest() orders by XOR distance to the target and prefers live nodes', () => {
    const t = newTable()
    const nodes = pool.slice(0, 60)
    for (const [i, n] of nodes.entries()) t.add(at(n, `10.2.${i}.1`))
    const target = pool[700]!.id
    const got = t.closest(target, 16)
    expect(got.length).toBe(16)
    const all = t.entries().map((e) => e.node)
    const sorted = [...all].sort((a, b) => {
      for (let i = 0; i < 32; i++) {
        const x = (a.id[i]! ^ target[i]!) - (b.id[i]! ^ target[i]!)
        if (x !== 0) return x
      }
      return 0
    })
    expect(got.map((n) => n.idHex)).toEqual(sorted.slice(0, 16).map((n) => n.idHex))
    const live = t.get(all[5]!.idHex)!
    live.isValidatedLive = true
    expect(t.closest(target, 16, true).map((n) => n.idHex)).toEqual([all[5]!.idHex])
  })
})

describe('IP limits (go-ethereum DistinctNetSet, /24)', () => {
  it('at most 2 of one /24 in a bucket', () => {
    const t = newTable()
    const nodes = inBucket(t, 16, 3)
    expect(t.add(at(nodes[0]!, '8.8.8.1'))).toBe('added')
    expect(t.add(at(nodes[1]!, '8.8.8.2'))).toBe('added')
    expect(t.add(at(nodes[2]!, '8.8.8.3'))).toBe('ip-limit')
    expect(t.add(at(nodes[2]!, '8.8.9.3'))).toBe('added')
  })

  it('at most 10 of one /24 in the table', () => {
    const t = newTable()
    let added = 0
    for (let b = 0; b < bucketCount && added < 12; b++) {
      for (const n of pool.filter((p) => t.bucketIndex(p.id) === b).slice(0, 2)) {
        if (t.add(at(n, `9.9.9.${added + 1}`)) === 'added') added++
        if (added >= 12) break
      }
    }
    expect(t.size).toBe(10)
    // Removing one frees a slot in the table-wide count.
    t.delete(t.entries()[0]!.node.idHex)
    const fresh = pool.filter((p) => t.bucketIndex(p.id) === 16 && t.get(p.idHex) === undefined)
    expect(t.add(at(fresh.find((p) => t.bucketOf(p.id).ips.size < 2)!, '9.9.9.200'))).toBe('added')
  })

  it('LAN addresses are exempt unless limitLanIps', () => {
    const free = newTable()
    const limited = newTable(() => 1000, { limitLanIps: true })
    const nodes = inBucket(free, 16, 3)
    for (const [i, n] of nodes.entries()) {
      expect(free.add(at(n, `127.0.0.${i + 1}`))).toBe('added')
      expect(limited.add(at(n, `127.0.0.${i + 1}`))).toBe(i < 2 ? 'added' : 'ip-limit')
    }
  })

  it('nodes without an IP, and ourselves, never enter', () => {
    const t = newTable()
    expect(t.add(at(pool[0]!, '0.0.0.0'))).toBe('no-ip')
    expect(t.add(self)).toBe('self')
  })
})

describe('updates', () => {
  it('a found node only replaces an entry with a higher seq; an inbound one always', () => {
    const t = newTable()
    const n = pool[3]!
    t.add(at(n, '10.9.0.1'))
    expect(t.add(at(n, '10.9.0.2'))).toBe('known') // found, seq 0 ≤ 0
    expect(t.get(n.idHex)!.node.ip).toBe('10.9.0.1')
    expect(t.add(at(n, '10.9.0.2'), { inbound: true })).toBe('updated')
    expect(t.get(n.idHex)!.node.ip).toBe('10.9.0.2')
  })
})

describe('revalidation lists', () => {
  it('new nodes go to the fast list; an answer moves them to slow; failures divide checks by 3', () => {
    let now = 0
    const t = newTable(() => now)
    const n = pool[9]!
    t.add(at(n, '10.3.0.1'))
    const e = t.get(n.idHex)!
    expect(e.revalList).toBe(t.fast)
    now = 10_000
    const { due } = t.nextRevalidation(now)
    expect(due).toEqual([e])
    expect(t.activeChecks.has(n.idHex)).toBe(true)
    // While checked, it is not picked again.
    now = 20_000
    expect(t.nextRevalidation(now).due).toEqual([])
    t.revalidated(e, true)
    expect(e.revalList).toBe(t.slow)
    expect(e.livenessChecks).toBe(1)
    expect(e.isValidatedLive).toBe(true)
    for (let i = 0; i < 5; i++) {
      now += 100_000
      const d = t.nextRevalidation(now).due
      expect(d).toEqual([e])
      t.revalidated(e, true)
    }
    expect(e.livenessChecks).toBe(6)
    now += 100_000
    t.nextRevalidation(now)
    t.revalidated(e, false) // 6 / 3 = 2: stays, back to fast
    expect(e.livenessChecks).toBe(2)
    expect(e.revalList).toBe(t.fast)
    now += 100_000
    t.nextRevalidation(now)
    t.revalidated(e, false) // 2 / 3 = 0: removed
    expect(t.get(n.idHex)).toBeUndefined()
  })

  it('an unchecked node that fails its first check is dropped, and a replacement takes its place', () => {
    let now = 0
    const t = newTable(() => now)
    const nodes = inBucket(t, 15, bucketSize + 1)
    for (const [i, n] of nodes.entries()) t.add(at(n, `10.4.${i}.1`))
    expect(t.isReplacement(at(nodes[bucketSize]!, 'x'))).toBe(true)
    const removed: string[] = []
    const added: string[] = []
    const t2 = new KademliaTable({
      selfId: self.id,
      now: () => now,
      random: seededRandom(5),
      onRemoved: (e) => removed.push(e.node.idHex),
      onAdded: (e) => added.push(e.node.idHex),
    })
    for (const [i, n] of nodes.entries()) t2.add(at(n, `10.4.${i}.1`))
    now = 5_000
    const [e] = t2.nextRevalidation(now).due
    t2.revalidated(e!, false)
    expect(removed).toEqual([e!.node.idHex])
    expect(added.at(-1)).toBe(nodes[bucketSize]!.idHex)
    expect(t2.size).toBe(bucketSize)
  })
})
