/** ethereum/tests TrieTests (fixtures copied from the repository; see test/fixtures/trietests). */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bytesOf, hex, MemTrie } from './helpers.js'

const load = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/trietests/${name}`, import.meta.url), 'utf8'),
  ) as Record<string, { in: [string, string | null][] | Record<string, string>; root: string }>

function run(trie: MemTrie, input: [string, string | null][], commitEvery: number): string {
  let i = 0
  for (const [k, v] of input) {
    if (v === null) trie.del(bytesOf(k))
    else trie.put(bytesOf(k), bytesOf(v))
    if (commitEvery > 0 && ++i % commitEvery === 0) trie.commit()
  }
  return `0x${hex(trie.hash())}`
}

for (const file of ['trietest.json', 'trietest_secureTrie.json']) {
  describe(file, () => {
    const secure = file.includes('secure')
    for (const [name, t] of Object.entries(load(file))) {
      it(name, () => {
        const input = t.in as [string, string | null][]
        expect(run(new MemTrie(secure), input, 0)).toBe(t.root)
        // the same sequence with the trie stored and reloaded between steps
        expect(run(new MemTrie(secure), input, 1)).toBe(t.root)
        expect(run(new MemTrie(secure), input, 3)).toBe(t.root)
      })
    }
  })
}

for (const file of [
  'trieanyorder.json',
  'trieanyorder_secureTrie.json',
  'hex_encoded_securetrie_test.json',
]) {
  describe(file, () => {
    const secure = file.includes('secure')
    for (const [name, t] of Object.entries(load(file))) {
      it(name, () => {
        const pairs = Object.entries(t.in as Record<string, string>)
        const orders = [pairs, [...pairs].reverse()]
        // every rotation of the insertion order gives the same root
        for (let s = 0; s < pairs.length; s++)
          orders.push([...pairs.slice(s), ...pairs.slice(0, s)])
        for (const order of orders) {
          const trie = new MemTrie(secure)
          expect(run(trie, order, 0)).toBe(t.root)
          for (const [k, v] of order) expect(hex(trie.get(bytesOf(k))!)).toBe(hex(bytesOf(v)))
        }
      })
    }
  })
}
