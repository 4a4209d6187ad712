/**
 * Property tests: random insert/update/delete sequences against two references — rlp-wire's pure
 * `trieRoot` (built from the final key set) and @ethereumjs/mpt (applied step by step).
 */
import { createMPT } from '@ethereumjs/mpt'
import { keccak256, rlpEncode, trieRoot } from '@ethwire/rlp-wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Account,
  createStateDatabase,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  encodeAccount,
} from '../src/index.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { hex, MemTrie } from './helpers.js'

type Op = { k: Uint8Array; v: Uint8Array } | { k: Uint8Array; del: true } | { commit: true }

// Keys from a small pool so that updates, deletes and shared prefixes are frequent: short keys,
// keys that are prefixes of others (branch values), and 32-byte keys differing late.
const base32 = new Uint8Array(32).fill(0x11)
const keyPool: Uint8Array[] = [
  new Uint8Array(0),
  Uint8Array.of(0x01),
  Uint8Array.of(0x01, 0x02),
  Uint8Array.of(0x01, 0x02, 0x03),
  Uint8Array.of(0x01, 0x12),
  Uint8Array.of(0x10),
  Uint8Array.of(0xf0, 0x0f),
  Uint8Array.of(0xff),
  base32,
  Uint8Array.from(base32).fill(0x12, 31),
  Uint8Array.from(base32).fill(0x21, 30),
  Uint8Array.from(base32).fill(0x99, 16),
  new Uint8Array(32),
  Uint8Array.from(new Uint8Array(32)).fill(0x01, 31),
]
// Bytes from a four-letter alphabet share nibbles often: extensions, and branches that collapse
// into an extension or a leaf below them when a delete leaves them one child.
const smallByte = fc.constantFrom(0x00, 0x01, 0x10, 0x11)
const keyArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...keyPool) },
  {
    weight: 3,
    arbitrary: fc.array(smallByte, { minLength: 1, maxLength: 4 }).map((b) => Uint8Array.from(b)),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(smallByte, { minLength: 3, maxLength: 3 })
      .map((tail) => Uint8Array.from([...base32.subarray(0, 29), ...tail])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
)
// Values short (nodes inline in their parent) and long (nodes by hash); empty means delete.
const valueArb = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 3 }),
  fc.uint8Array({ minLength: 28, maxLength: 40 }),
)
// A sequence works on a small key set of its own, so that most puts update and most deletes hit.
const seqArb: fc.Arbitrary<Op[]> = fc
  .uniqueArray(keyArb, { minLength: 1, maxLength: 12, selector: (k) => hex(k) })
  .chain((keys) =>
    fc.array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .record({ i: fc.nat(keys.length - 1), v: valueArb })
            .map(({ i, v }): Op => ({ k: keys[i]!, v })),
        },
        {
          weight: 3,
          arbitrary: fc.nat(keys.length - 1).map((i): Op => ({ k: keys[i]!, del: true })),
        },
        { weight: 1, arbitrary: fc.constant<Op>({ commit: true }) },
      ),
      { maxLength: 60 },
    ),
  )

async function check(ops: Op[], secure: boolean) {
  const ours = new MemTrie(secure)
  const ref = await createMPT(secure ? { useKeyHashing: true } : {})
  const model = new Map<string, Uint8Array>()
  // @ethereumjs/mpt deletes the whole trie when asked to delete the empty key (put 0x00, put '' then
  // del '' leaves it at the empty root; the pure trieRoot and ours keep 0x00), so once the empty key
  // is used, mpt is no longer compared; the pure root still is.
  let mptComparable = true
  for (const op of ops) {
    if ('commit' in op) {
      ours.commit()
      continue
    }
    const key = hex(op.k)
    if (op.k.length === 0) mptComparable = false
    if ('del' in op || op.v.length === 0) {
      ours.del(op.k)
      await ref.del(op.k)
      model.delete(key)
    } else {
      ours.put(op.k, op.v)
      await ref.put(op.k, op.v)
      model.set(key, op.v)
    }
    if (mptComparable && hex(ours.hash()) !== hex(ref.root())) {
      // @ethereumjs/mpt's incremental delete can leave a wrong root (its own trie built afresh from
      // the same pairs agrees with ours: see the fixed case below); compare with that one then
      const fresh = await createMPT(secure ? { useKeyHashing: true } : {})
      for (const [k, v] of model) await fresh.put(Buffer.from(k, 'hex'), v)
      expect(hex(ours.hash())).toBe(hex(fresh.root()))
    }
  }
  const pure = trieRoot(
    [...model].map(([k, v]) => {
      const kb = Buffer.from(k, 'hex')
      return [secure ? keccak256(kb) : kb, v] as const
    }),
  )
  expect(hex(ours.hash())).toBe(hex(pure))
  ours.commit()
  for (const [k, v] of model) expect(hex(ours.get(Buffer.from(k, 'hex'))!)).toBe(hex(v))
  for (const k of keyPool) if (!model.has(hex(k))) expect(ours.get(k)).toBeUndefined()
}

// Property runs are reproducible: a fixed seed by default, another through FC_SEED.
const fcSeed = Number(process.env.FC_SEED ?? 20261202)

describe('trie against references', () => {
  it("a delete that @ethereumjs/mpt's incremental trie gets wrong: ours agrees with both from-scratch roots", async () => {
    const z = new Uint8Array(28)
    const long = Uint8Array.from([...new Array(29).fill(17), 0, 0, 0])
    const ops: Op[] = [
      { k: Uint8Array.of(17), v: z },
      { k: Uint8Array.of(17, 0), v: z },
      { k: long, v: z },
      { k: Uint8Array.of(17, 0), del: true },
    ]
    await check(ops, false)
    const ours = new MemTrie(false)
    ours.put(Uint8Array.of(17), z)
    ours.put(long, z)
    expect(hex(ours.hash())).toBe(
      hex(
        trieRoot([
          [Uint8Array.of(17), z],
          [long, z],
        ]),
      ),
    )
  })

  it('plain trie: random sequences (short, prefix and 32-byte keys; deletes that collapse branches)', async () => {
    await fc.assert(
      fc.asyncProperty(seqArb, (ops) => check(ops, false)),
      { numRuns: 150, seed: fcSeed },
    )
  })

  it('secure trie: random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(seqArb, (ops) => check(ops, true)),
      { numRuns: 80, seed: fcSeed },
    )
  })

  it('deleting everything in any order returns to the empty root', async () => {
    await fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { minLength: 1, maxLength: 30, selector: hex }),
        fc.func(fc.integer()),
        (keys, order) => {
          const t = new MemTrie(false)
          for (const k of keys) t.put(k, Uint8Array.of(1, ...k))
          t.commit()
          const shuffled = [...keys].sort((a, b) => order(hex(a)) - order(hex(b)))
          for (const [i, k] of shuffled.entries()) {
            t.del(k)
            if (i % 4 === 0) t.commit()
          }
          expect(hex(t.hash())).toBe(hex(EMPTY_ROOT))
        },
      ),
      { numRuns: 150, seed: fcSeed },
    )
  })
})

type WOp =
  | { t: 'acct'; a: number; nonce: number }
  | { t: 'del'; a: number }
  | { t: 'store'; a: number; s: number; v: number }
  | { t: 'clear'; a: number }
  | { t: 'root' }
  | { t: 'commit' }

const wopArb: fc.Arbitrary<WOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('acct' as const), a: fc.nat(12), nonce: fc.nat(3) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('del' as const), a: fc.nat(12) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('store' as const),
      a: fc.nat(12),
      s: fc.nat(20),
      v: fc.nat(3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const), a: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'root' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'commit' as const }) },
)

const A = (i: number) => {
  const a = new Uint8Array(20)
  a[19] = i
  return a
}
const W = (i: number) => {
  const w = new Uint8Array(32)
  w[31] = i
  return w
}

describe('world state against a model', () => {
  it('random account/storage/clear/delete sequences with roots and commits in between', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wopArb, { maxLength: 80 }), async (ops) => {
        const kv = new MemoryKeyValueStore()
        const db = createStateDatabase({ db: kv }, { cacheBytes: 4096 }) // tiny: evictions happen
        let w = db.open(EMPTY_ROOT)
        // an account exists once set (until deleted), or while it has storage (go-ethereum's
        // GetOrNewStateObject on SetState); deleting it drops its storage
        const model = new Map<number, { a: Account | undefined; st: Map<number, number> }>()
        const emptyAccount = {
          nonce: 0n,
          balance: 0n,
          storageRoot: EMPTY_ROOT,
          codeHash: EMPTY_CODE_HASH,
        }
        const modelRoot = () =>
          trieRoot(
            [...model]
              .filter(([, m]) => m.a !== undefined || m.st.size > 0)
              .map(([i, { a, st }]) => {
                const storageRoot = trieRoot(
                  [...st].map(([s, v]) => [keccak256(W(s)), rlpEncode(v)] as const),
                )
                return [
                  keccak256(A(i)),
                  encodeAccount({ ...(a ?? emptyAccount), storageRoot }),
                ] as const
              }),
          )
        const entry = (i: number) => {
          let m = model.get(i)
          if (m === undefined) {
            m = { a: undefined, st: new Map() }
            model.set(i, m)
          }
          return m
        }
        for (const op of ops) {
          if (op.t === 'acct') {
            const a = { ...emptyAccount, nonce: BigInt(op.nonce), balance: 5n }
            w.setAccount(A(op.a), a)
            entry(op.a).a = a
          } else if (op.t === 'del') {
            w.setAccount(A(op.a), undefined)
            model.delete(op.a)
          } else if (op.t === 'store') {
            w.setStorage(A(op.a), W(op.s), W(op.v))
            const m = entry(op.a)
            if (op.v === 0) m.st.delete(op.s)
            else m.st.set(op.s, op.v)
          } else if (op.t === 'clear') {
            w.clearStorage(A(op.a))
            entry(op.a).st = new Map()
          } else if (op.t === 'root') {
            expect(hex(await w.root())).toBe(hex(modelRoot()))
          } else {
            const c = await w.commit()
            kv.write(c.ops)
            if (c.ops.length % 2 === 0) db.written(c.ops)
            w = db.open(c.root) // next block
            // after a commit the stored state is what exists: an account made by a storage write
            // is now a stored (empty) account; one with neither fields nor storage is gone
            for (const [i, m] of model) {
              if (m.a === undefined && m.st.size === 0) model.delete(i)
              else if (m.a === undefined) m.a = emptyAccount
            }
          }
        }
        expect(hex(await w.root())).toBe(hex(modelRoot()))
        for (const [i, { st }] of model) {
          for (const [s, v] of st) expect((await w.getStorage(A(i), W(s)))[31]).toBe(v)
        }
      }),
      { numRuns: 300, seed: fcSeed },
    )
  })
})
