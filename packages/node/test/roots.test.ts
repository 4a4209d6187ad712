/** The trie-root worker: the same roots as rlp-wire's inline builder, and a clean close. */
import { bytesToHex, orderedTrieRoot, rlpEncode } from '@ethwire/rlp-wire'
import { afterAll, describe, expect, it } from 'vitest'
import { createRootPool, isNodeError } from '../src/index.js'

const item = (i: number, len: number) =>
  Uint8Array.from({ length: len }, (_, j) => (i * 131 + j * 7) & 255)

describe('createRootPool', () => {
  const pool = createRootPool()
  afterAll(() => pool.close())

  it('gives the inline roots: empty lists, one item, hundreds, and nodes past the wasm page', async () => {
    const lists = [
      [],
      [Uint8Array.of(1)],
      Array.from({ length: 300 }, (_, i) => rlpEncode([i, item(i, 90 + (i % 40))])),
      // one 100 KB value: its leaf is hashed by the worker's @noble/hashes fallback
      [item(1, 100_000), item(2, 10)],
    ]
    const got = await pool.orderedTrieRoots(lists)
    expect(got.map(bytesToHex)).toEqual(lists.map((l) => bytesToHex(orderedTrieRoot(l))))
  })

  it('answers concurrent calls each with its own roots', async () => {
    const calls = Array.from({ length: 20 }, (_, c) =>
      Array.from({ length: 5 + c }, (_, i) => [item(c * 100 + i, 64 + c)]).flat(),
    )
    const got = await Promise.all(calls.map((l) => pool.orderedTrieRoots([l])))
    expect(got.map((r) => bytesToHex(r[0]!))).toEqual(
      calls.map((l) => bytesToHex(orderedTrieRoot(l))),
    )
  })

  it('rejects with ErrRootPoolClosed once closed', async () => {
    const other = createRootPool()
    expect((await other.orderedTrieRoots([[Uint8Array.of(5)]])).length).toBe(1)
    await other.close()
    await other.close() // a second close is a no-op
    const err = await other.orderedTrieRoots([[Uint8Array.of(5)]]).catch((e: unknown) => e)
    expect(isNodeError(err, 'ErrRootPoolClosed')).toBe(true)
  })
})
