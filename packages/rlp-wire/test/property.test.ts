import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Block,
  BlockHeader,
  decodeMessage,
  decodeReceipt,
  encodeMessage,
  encodeReceipt,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  Transaction,
} from '../src/index.js'
import {
  genBlobTxWithSidecar,
  genBlock,
  genHeader,
  genMessage,
  genReceipt,
  genTransaction,
  headerShapes,
  messageNames,
  Rand,
} from '../src/testing.js'

// Reproducible property runs: a fixed seed by default, another through FC_SEED.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261202) })

const seed = fc.integer({ min: 1, max: 0xffffffff })
const versions = [62, 63, 66, 67, 68, 69, 70, 71, 72]

describe('round trips over generated values', () => {
  it('rlp: decode(encode(x)) = x and encode(decode(b)) = b', () => {
    const { tree } = fc.letrec<{ tree: RlpItem }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.uint8Array({ maxLength: 70 }),
        fc.array(tie('tree'), { maxLength: 5 }),
      ),
    }))
    fc.assert(
      fc.property(tree, (x) => {
        const b = rlpEncode(x)
        expect(rlpDecode(b)).toEqual(x)
        expect(rlpEncode(rlpDecode(b))).toEqual(b)
      }),
      { numRuns: 500 },
    )
  })

  it('integers encode minimally and decode back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (n) => {
        const b = rlpEncode(n)
        const d = rlpDecode(b) as Uint8Array
        expect(d[0] === 0).toBe(false)
        expect(d.length === 0 ? 0n : BigInt('0x' + Buffer.from(d).toString('hex'))).toBe(n)
      }),
      { numRuns: 300 },
    )
  })

  for (const shape of headerShapes) {
    it(`${shape}-field headers`, () => {
      fc.assert(
        fc.property(seed, (s) => {
          const h = genHeader(new Rand(s), shape)
          const d = BlockHeader.decode(h.encode())
          expect(d.toData()).toEqual(h.toData())
          expect(d.hash).toEqual(h.hash)
          expect(d.toRlpInput().length).toBe(shape)
        }),
        { numRuns: 50 },
      )
    })
  }

  for (const type of [0, 1, 2, 3, 4] as const) {
    it(`type ${type} transactions (binary and network forms)`, () => {
      fc.assert(
        fc.property(seed, (s) => {
          const tx = genTransaction(new Rand(s), type)
          const bin = tx.encode()
          const d = Transaction.decode(bin)
          expect(d.toData()).toEqual(tx.toData())
          expect(d.hash).toEqual(tx.hash)
          expect(d.sigHash()).toEqual(tx.sigHash())
          expect(d.recovery).toBe(tx.recovery)
          const net = rlpEncode(tx.encodeNetwork())
          const n = Transaction.decodeNetworkRaw(net)
          expect(n.toData()).toEqual(tx.toData())
          expect(rlpEncode(n.encodeNetwork())).toEqual(net)
        }),
        { numRuns: 60 },
      )
    })
  }

  it('blob transactions with sidecars (v0 and v1) keep the consensus hash', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const tx = genBlobTxWithSidecar(new Rand(s))
        const net = rlpEncode(tx.encodeNetwork())
        const d = Transaction.decodeNetworkRaw(net)
        // Byte lists compared with Buffer.equals: a deep toEqual over 128 KiB blobs is slow
        // enough to time out on a loaded 2-core machine.
        const same = (a: readonly Uint8Array[] = [], b: readonly Uint8Array[] = []) =>
          a.length === b.length && a.every((x, i) => Buffer.from(x).equals(b[i]!))
        expect(d.sidecar?.version).toBe(tx.sidecar?.version)
        expect(same(d.sidecar?.blobs, tx.sidecar?.blobs)).toBe(true)
        expect(same(d.sidecar?.commitments, tx.sidecar?.commitments)).toBe(true)
        expect(same(d.sidecar?.proofs, tx.sidecar?.proofs)).toBe(true)
        expect(d.hash).toEqual(Transaction.decode(tx.encode()).hash)
        expect(Buffer.from(rlpEncode(d.encodeNetwork())).equals(net)).toBe(true)
      }),
      { numRuns: 10 },
    )
  })

  it('receipts (consensus form)', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const r = genReceipt(new Rand(s))
        expect(decodeReceipt(encodeReceipt(r))).toEqual(r)
      }),
      { numRuns: 100 },
    )
  })

  it('blocks', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const b = genBlock(new Rand(s))
        const d = Block.decode(b.encode())
        expect(d.encode()).toEqual(b.encode())
        expect(d.hash).toEqual(b.hash)
        expect(d.transactions.map((t) => t.toData())).toEqual(b.transactions.map((t) => t.toData()))
      }),
      { numRuns: 50 },
    )
  })

  for (const version of versions) {
    for (const name of messageNames(version)) {
      it(`eth/${version} ${name}`, () => {
        fc.assert(
          fc.property(seed, (s) => {
            const m = genMessage(new Rand(s), version, name)
            const enc = encodeMessage(version, m)
            const dec = decodeMessage(version, enc)
            expect(normalize(dec)).toEqual(normalize(m))
            expect(encodeMessage(version, dec).payload).toEqual(enc.payload)
          }),
          { numRuns: name === 'PooledTransactions' ? 8 : 25 },
        )
      })
    }
  }
})

/** Class instances compared through their plain data. */
function normalize(x: unknown): unknown {
  if (x instanceof Transaction) return { tx: x.toData(), sidecar: x.sidecar }
  if (x instanceof BlockHeader) return x.toData()
  if (x instanceof Block) return normalize({ header: x.header, ...x.body() })
  if (x instanceof Uint8Array) return Array.from(x)
  if (Array.isArray(x)) return x.map(normalize)
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, normalize(v)]))
  }
  return x
}
