import { Block, BlockHeader, type HeaderData } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { CanonicalHeaderCache, headerNumberOfKey } from '../src/header-cache.js'
import { buildEmptyBlock, type Chain } from '../src/index.js'
import * as k from '../src/schema.js'
import { tempChain } from '../src/testing.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup() {
  const t = await tempChain()
  cleanups.push(t.cleanup)
  return t.chain
}

async function chainOf(chain: Chain, from: BlockHeader, n: number, tag: number): Promise<Block[]> {
  const out: Block[] = []
  let p = from
  for (let i = 0; i < n; i++) {
    const b = await buildEmptyBlock(chain, p, p.time + 12n)
    const over: Partial<HeaderData> = { extra: Uint8Array.of(tag) }
    const t = new Block(BlockHeader.fromData({ ...b.header.toData(), ...over }), b.body())
    out.push(t)
    p = t.header
  }
  return out
}

const hashOf = (b: Block | undefined) => b?.hash

describe('the chain header cache', () => {
  it('answers a repeated read from memory, the same header object', async () => {
    const chain = await setup()
    const a = await chainOf(chain, chain.genesis, 4, 1)
    await chain.insertChain(a)
    const first = await chain.getHeaderByNumber(3n)
    expect(first?.hash).toEqual(hashOf(a[2]))
    expect(await chain.getHeaderByNumber(3n)).toBe(first)
    expect(await chain.getHeader(a[2]!.hash, 3n)).toBe(first)
    expect(await chain.getCanonicalHash(3n)).toEqual(a[2]!.hash)
  })

  it('answers a number above the head without a database read', async () => {
    const chain = await setup()
    const a = await chainOf(chain, chain.genesis, 2, 1)
    await chain.insertChain(a)
    const db = chain.db as unknown as { get: (key: Uint8Array) => Promise<unknown> }
    const realGet = db.get.bind(db)
    let reads = 0
    db.get = async (key: Uint8Array) => {
      reads++
      return realGet(key)
    }
    for (let n = 3n; n < 64n; n++) expect(await chain.getHeaderByNumber(n)).toBeUndefined()
    expect(reads).toBe(0)
    // and the block that extends the head is there as soon as the head moved
    const [b3] = await chainOf(chain, a[1]!.header, 1, 1)
    await chain.insertChain([b3!])
    expect((await chain.getHeaderByNumber(3n))?.hash).toEqual(b3!.hash)
  })

  it('still reads a canonical entry some write put above the heads', async () => {
    const chain = await setup()
    const a = await chainOf(chain, chain.genesis, 3, 1)
    // written by a path that moves no head (the ops of a block, the heads left as they are)
    const h3 = a[2]!.header
    const write = (chain as unknown as { write: (ops: unknown[], what: string) => Promise<void> })
      .write
    await write.call(
      chain,
      [
        { type: 'put', key: k.headerKey(3n, h3.hash), value: h3.encode() },
        { type: 'put', key: k.canonicalKey(3n), value: h3.hash },
      ],
      'test',
    )
    expect(chain.currentHeader().number).toBe(0n)
    expect((await chain.getHeaderByNumber(3n))?.hash).toEqual(h3.hash)
    expect(await chain.getHeaderByNumber(4n)).toBeUndefined()
  })

  it('never serves a header a reorg replaced', async () => {
    const chain = await setup()
    const a = await chainOf(chain, chain.genesis, 4, 1)
    await chain.insertChain(a)
    for (let n = 1n; n <= 4n; n++) await chain.getHeaderByNumber(n) // cached
    const b = await chainOf(chain, a[1]!.header, 3, 2) // forks at 2, reaches 5
    await chain.insertChain(b)
    expect(chain.currentHeader().hash).toEqual(b[2]!.hash)
    expect((await chain.getHeaderByNumber(2n))?.hash).toEqual(a[1]!.hash)
    for (let i = 0; i < 3; i++) {
      const n = BigInt(3 + i)
      expect((await chain.getHeaderByNumber(n))?.hash).toEqual(b[i]!.hash)
      expect(await chain.getCanonicalHash(n)).toEqual(b[i]!.hash)
    }
    // the side chain's headers are still there by hash
    expect((await chain.getHeader(a[2]!.hash, 3n))?.hash).toEqual(a[2]!.hash)
    // and back: a longer branch on a
    const c = await chainOf(chain, a[3]!.header, 3, 3) // 5..7 on a
    await chain.insertChain(c)
    expect((await chain.getHeaderByNumber(3n))?.hash).toEqual(a[2]!.hash)
    expect((await chain.getHeaderByNumber(5n))?.hash).toEqual(c[0]!.hash)
  })

  it('forgets headers above a rewind (setHead)', async () => {
    const chain = await setup()
    const a = await chainOf(chain, chain.genesis, 5, 1)
    await chain.insertChain(a)
    for (let n = 1n; n <= 5n; n++) await chain.getHeaderByNumber(n)
    await chain.setHead(2n)
    expect(await chain.getHeaderByNumber(3n)).toBeUndefined()
    expect(await chain.getCanonicalHash(5n)).toBeUndefined()
    expect(await chain.getHeader(a[3]!.hash, 4n)).toBeUndefined()
    expect((await chain.getHeaderByNumber(2n))?.hash).toEqual(a[1]!.hash)
  })

  it('does not keep what a read racing a reorg saw before it', async () => {
    const chain = await setup()
    const a = await chainOf(chain, chain.genesis, 4, 1)
    await chain.insertChain(a)
    // hold the read of canonical entry 3 after LevelDB answered it (the old hash) until the
    // reorg below has been written
    const db = chain.db as unknown as { get: (key: Uint8Array) => Promise<unknown> }
    const realGet = db.get.bind(db)
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    let holding = true
    const canon3 = k.canonicalKey(3n)
    db.get = async (key: Uint8Array) => {
      const v = await realGet(key)
      if (holding && Buffer.compare(Buffer.from(key), Buffer.from(canon3)) === 0) {
        holding = false
        await held
      }
      return v
    }
    const racing = chain.getHeaderByNumber(3n)
    const b = await chainOf(chain, a[1]!.header, 3, 2)
    await chain.insertChain(b)
    release()
    // the racing read saw the old chain (it read before the write): that answer is its own...
    expect((await racing)?.hash).toEqual(a[2]!.hash)
    // ...but it must not have become the cached one
    expect((await chain.getHeaderByNumber(3n))?.hash).toEqual(b[0]!.hash)
    expect(await chain.getCanonicalHash(3n)).toEqual(b[0]!.hash)
  })
})

describe('CanonicalHeaderCache', () => {
  const header = (n: number) =>
    ({ number: BigInt(n), hash: Uint8Array.of(n) }) as unknown as BlockHeader

  it('keeps at most capacity headers, dropping the least recently used', () => {
    const c = new CanonicalHeaderCache(2)
    c.fill(c.token(), header(1))
    c.fill(c.token(), header(2))
    c.get(1n)
    c.fill(c.token(), header(3))
    expect(c.size).toBe(2)
    expect(c.get(2n)).toBeUndefined()
    expect(c.get(1n)?.number).toBe(1n)
    expect(c.get(3n)?.number).toBe(3n)
  })

  it('drops a fill whose read overlapped an invalidation', () => {
    const c = new CanonicalHeaderCache(8)
    const t = c.token()
    c.invalidate([9n])
    c.fill(t, header(1))
    expect(c.get(1n)).toBeUndefined()
    c.fill(c.token(), header(1))
    c.invalidate([1n])
    expect(c.get(1n)).toBeUndefined()
  })

  it('reads block numbers from canonical and header keys only', () => {
    const hash = new Uint8Array(32).fill(7)
    expect(headerNumberOfKey(k.canonicalKey(77n))).toBe(77n)
    expect(headerNumberOfKey(k.headerKey(12n, hash))).toBe(12n)
    expect(headerNumberOfKey(k.tdKey(12n, hash))).toBeUndefined()
    expect(headerNumberOfKey(k.bodyKey(12n, hash))).toBeUndefined()
    expect(headerNumberOfKey(k.numberKey(hash))).toBeUndefined()
  })
})
