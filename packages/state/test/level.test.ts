/** The state database over a real LevelDB (`level`, a temporary directory). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256 } from '@ethwire/rlp-wire'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Account,
  type BatchOp,
  createStateDatabase,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  isStateError,
  type KeyValueReader,
  type StateDatabase,
} from '../src/index.js'
import { addr, hex, word } from './helpers.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function openLevel(dir?: string) {
  const location = dir ?? mkdtempSync(join(tmpdir(), 'ethwire-state-'))
  if (!dir) dirs.push(location)
  const level = new Level<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  await level.open()
  return { level, location }
}

const acct = (n: number): Account => ({
  nonce: BigInt(n),
  balance: BigInt(n) * 1000n,
  storageRoot: EMPTY_ROOT,
  codeHash: EMPTY_CODE_HASH,
})

/** One "block": touches `count` accounts from `first`, two slots each, deploys one contract. */
async function block(
  db: StateDatabase,
  root: Uint8Array,
  first: number,
  count: number,
  salt: number,
) {
  const w = db.open(root)
  for (let i = first; i < first + count; i++) {
    const a = addr(i)
    const old = await w.getAccount(a)
    w.setAccount(a, { ...acct(i), nonce: (old?.nonce ?? 0n) + 1n })
    w.setStorage(a, word(1), word(salt))
    w.setStorage(a, word(1000 + i), word(i + salt))
  }
  const code = Uint8Array.of(0x60, salt & 0xff, 0x00)
  w.setCode(keccak256(code), code)
  return w.commit()
}

describe('over LevelDB', () => {
  it('a Level instance is the reader; commits go in the caller batch; reopen reads them', async () => {
    const { level, location } = await openLevel()
    const reader: KeyValueReader = level
    const db = createStateDatabase({ db: reader })
    let root = EMPTY_ROOT
    const roots: Uint8Array[] = []
    for (let b = 0; b < 5; b++) {
      const c = await block(db, root, b * 10, 40, b)
      // the chain's batch: state ops with its own keys beside them
      await level.batch([
        ...c.ops,
        { type: 'put', key: Uint8Array.of(0x48, b), value: c.root } as BatchOp,
      ])
      db.written(c.ops)
      root = c.root
      roots.push(root)
    }
    await level.close()

    const again = await openLevel(location)
    const cold = createStateDatabase({ db: again.level })
    for (const [b, r] of roots.entries()) {
      expect(await cold.hasRoot(r)).toBe(true)
      // every older root stays readable (archive: nodes are never deleted)
      const a = await cold.getAccount(r, addr(b * 10))
      expect(a?.balance).toBe(BigInt(b * 10) * 1000n)
      expect(await cold.getStorage(r, addr(b * 10), word(1))).toEqual(word(b))
    }
    expect(await cold.getCode(keccak256(Uint8Array.of(0x60, 3, 0x00)))).toEqual(
      Uint8Array.of(0x60, 3, 0x00),
    )
    expect(cold.stats().storeReads).toBeGreaterThan(0)
    await again.level.close()
  })

  it('crash: a batch cut half-way leaves the last committed root whole and the new one absent', async () => {
    const { level, location } = await openLevel()
    const db = createStateDatabase({ db: level })
    const c1 = await block(db, EMPTY_ROOT, 0, 200, 1)
    await level.batch(c1.ops)
    const c2 = await block(db, c1.root, 100, 200, 2)
    // the process dies after writing half the next block's ops (each put its own write)
    for (const op of c2.ops.slice(0, Math.floor(c2.ops.length / 2)))
      await level.put(op.key, op.value)
    await level.close()

    const again = await openLevel(location)
    const cold = createStateDatabase({ db: again.level })
    expect(await cold.hasRoot(c1.root)).toBe(true)
    // ops are ordered children first, root last: the half-written root is not there
    expect(await cold.hasRoot(c2.root)).toBe(false)
    for (let i = 0; i < 200; i++) {
      const a = await cold.getAccount(c1.root, addr(i))
      expect(a?.nonce).toBe(1n)
      expect(await cold.getStorage(c1.root, addr(i), word(1))).toEqual(word(1))
      expect(await cold.getStorage(c1.root, addr(i), word(1000 + i))).toEqual(word(i + 1))
    }
    await expect(cold.getAccount(c2.root, addr(150))).rejects.toSatisfy((e) =>
      isStateError(e, 'ErrMissingNode'),
    )
    // the block is executed again from the last committed root and completes
    const redo = await block(cold, c1.root, 100, 200, 2)
    expect(hex(redo.root)).toBe(hex(c2.root))
    await again.level.batch(redo.ops)
    expect((await cold.getAccount(c2.root, addr(150)))?.nonce).toBe(2n)
    await again.level.close()
  })
})
