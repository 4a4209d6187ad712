import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  keccak256,
  orderedTrieRoot,
  rlpEncode,
  type TrieRootFunctions,
  trieRoot,
  trieRootFunctions,
  utf8ToBytes,
} from '../src/index.js'

const kv = (pairs: [string, string][]) =>
  pairs.map(([k, v]) => [utf8ToBytes(k), utf8ToBytes(v)] as [Uint8Array, Uint8Array])

describe('trie roots', () => {
  it('empty roots', () => {
    expect(bytesToHex(EMPTY_TRIE_ROOT)).toBe(
      '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
    )
    expect(bytesToHex(EMPTY_UNCLE_HASH)).toBe(
      '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
    )
    expect(trieRoot([])).toEqual(EMPTY_TRIE_ROOT)
    expect(orderedTrieRoot([])).toEqual(EMPTY_TRIE_ROOT)
  })

  it('the classic doe/dog/dogglesworth trie (also checked against @ethereumjs/mpt while writing this)', () => {
    const root = '0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3'
    const e = kv([
      ['doe', 'reindeer'],
      ['dog', 'puppy'],
      ['dogglesworth', 'cat'],
    ])
    expect(bytesToHex(trieRoot(e))).toBe(root)
    expect(bytesToHex(trieRoot([...e].reverse()))).toBe(root) // order does not matter
  })

  it('later duplicates win, empty values delete', () => {
    const base = kv([
      ['a', '1'],
      ['b', '2'],
    ])
    expect(trieRoot([...kv([['a', 'x']]), ...base])).toEqual(trieRoot(base))
    expect(trieRoot([...base, [utf8ToBytes('c'), new Uint8Array(0)]])).toEqual(trieRoot(base))
  })

  it('a single small entry is still hashed at the root', () => {
    const k = rlpEncode(0)
    const v = Uint8Array.of(1)
    const leaf = rlpEncode([Uint8Array.of(0x20, ...k), v])
    expect(leaf.length).toBeLessThan(32)
    expect(orderedTrieRoot([v])).toEqual(keccak256(leaf))
  })

  it('ordered roots key entry i by rlp(i), past one-byte and two-byte indexes', () => {
    const values = Array.from({ length: 300 }, (_, i) =>
      Uint8Array.from({ length: 40 + (i % 7) }, (_, j) => (i * 31 + j) & 255),
    )
    const keyed = values.map((v, i) => [rlpEncode(i), v] as const)
    expect(bytesToHex(orderedTrieRoot(values))).toBe(bytesToHex(trieRoot(keyed)))
    // 300 entries under rlp(0..299): not the root of the same values under other keys
    expect(bytesToHex(orderedTrieRoot(values))).not.toBe(
      bytesToHex(trieRoot(values.map((v, i) => [rlpEncode(i + 1), v] as const))),
    )
  })

  it('the builder runs from its own source text, as a worker thread runs it', () => {
    // no closure over the module: rebuilt from the text alone, it gives the same roots
    const rebuilt = new Function(`return (${String(trieRootFunctions)})`)() as (
      keccak: (b: Uint8Array) => Uint8Array,
    ) => TrieRootFunctions
    const fns = rebuilt(keccak256)
    const values = Array.from({ length: 200 }, (_, i) => rlpEncode([i, new Uint8Array(i % 50)]))
    expect(bytesToHex(fns.orderedTrieRoot(values))).toBe(bytesToHex(orderedTrieRoot(values)))
    const e = kv([
      ['doe', 'reindeer'],
      ['dog', 'puppy'],
      ['dogglesworth', 'cat'],
    ])
    expect(bytesToHex(fns.trieRoot(e))).toBe(
      '0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3',
    )
    expect(bytesToHex(fns.orderedTrieRoot([]))).toBe(bytesToHex(EMPTY_TRIE_ROOT))
  })
})
