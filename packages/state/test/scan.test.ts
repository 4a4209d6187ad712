/** scanChildren (trie sync's child scan) against decodeNode over every node of a real state. */
import { keccak256, rlpEncode } from '@ethwire/rlp-wire'
import { expect, it } from 'vitest'
import { EMPTY_CODE_HASH, EMPTY_ROOT, equalBytes } from '../src/account.js'
import { createStateDatabase, decodeAccount, isStateError } from '../src/index.js'
import { BRANCH, decodeNode, EXT, HASH, hexPrefix, LEAF, type Node } from '../src/node.js'
import { scanChildren } from '../src/scan.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, hex, word } from './helpers.js'

/** What the scheduler used to do: decode the node, walk it, decode each account. */
function reference(raw: Uint8Array, depth: number, accounts: boolean): string[] {
  const out: string[] = []
  const acct = (v: Uint8Array) => {
    const a = decodeAccount(v)
    if (!equalBytes(a.storageRoot, EMPTY_ROOT)) out.push(`storageRoot ${hex(a.storageRoot)} 0`)
    if (!equalBytes(a.codeHash, EMPTY_CODE_HASH)) out.push(`code ${hex(a.codeHash)} 0`)
  }
  const walk = (n: Node, d: number): void => {
    if (n.kind === HASH) out.push(`node ${hex(n.hash)} ${d}`)
    else if (n.kind === LEAF) {
      if (accounts) acct(n.value)
    } else if (n.kind === EXT) walk(n.child, d + n.path.length)
    else if (n.kind === BRANCH) {
      for (const c of n.children) if (c !== null) walk(c, d + 1)
      if (n.value !== null && accounts) acct(n.value)
    }
  }
  walk(decodeNode(raw), depth)
  return out
}

function scan(raw: Uint8Array, depth: number, accounts: boolean): string[] {
  const out: string[] = []
  scanChildren(raw, depth, accounts, (h, kind, d) => out.push(`${kind} ${hex(h)} ${d}`))
  return out
}

it('finds the same children as decodeNode in every node of a state with storage and code', async () => {
  const kv = new MemoryKeyValueStore()
  const db = createStateDatabase({ db: kv })
  const w = db.open(EMPTY_ROOT)
  const code = new Uint8Array(90).fill(0x5b)
  w.setCode(keccak256(code), code)
  for (let i = 0; i < 600; i++) {
    w.setAccount(addr(i), {
      nonce: BigInt(i),
      balance: BigInt(i) ** 5n,
      storageRoot: EMPTY_ROOT,
      codeHash: i % 7 === 0 ? keccak256(code) : EMPTY_CODE_HASH,
    })
    if (i % 4 === 0) for (let s = 0; s < 1 + (i % 30); s++) w.setStorage(addr(i), word(s), word(s))
  }
  const c = await w.commit()
  // storage nodes: scanned as storage (no account leaves); account nodes: with accounts
  const storageRoots = new Set<string>()
  let accountNodes = 0
  let found = 0
  const accountTrie = new Set<string>()
  const pending = [c.root]
  const byKey = new Map(c.ops.map((op) => [hex(op.key), op.value]))
  while (pending.length > 0) {
    const h = pending.pop()!
    accountTrie.add(hex(h))
    const raw = byKey.get(hex(h))!
    const got = scan(raw, 3, true)
    expect(got).toEqual(reference(raw, 3, true))
    accountNodes++
    for (const line of got) {
      const [kind, hh] = line.split(' ')
      found++
      if (kind === 'node') pending.push(Buffer.from(hh!, 'hex'))
      else if (kind === 'storageRoot') storageRoots.add(hh!)
    }
  }
  expect(accountNodes).toBeGreaterThan(600)
  expect(storageRoots.size).toBeGreaterThan(10)
  for (const op of c.ops) {
    if (accountTrie.has(hex(op.key)) || op.key.length !== 32) continue
    if (byKey.get(hex(op.key)) === code) continue
    expect(scan(op.value, 64, false)).toEqual(reference(op.value, 64, false))
  }
  expect(found).toBeGreaterThan(1000)
})

it('walks into embedded nodes and keeps the depth of extensions', () => {
  const h1 = keccak256(Uint8Array.of(1))
  const h2 = keccak256(Uint8Array.of(2))
  // an embedded branch (under 32 bytes) holding two embedded leaves
  const leaf = (path: number[], v: number) => [
    hexPrefix(Uint8Array.from(path), true),
    Uint8Array.of(v),
  ]
  const inner: unknown[] = new Array(17).fill(new Uint8Array(0))
  inner[3] = leaf([1], 7)
  inner[9] = leaf([], 8)
  const ext = [hexPrefix(Uint8Array.of(1, 2, 3), false), h2]
  const top: unknown[] = new Array(17).fill(new Uint8Array(0))
  top[0] = h1
  top[5] = inner
  // biome-ignore lint/suspicious/noExplicitAny: nested RLP input
  const raw = rlpEncode(top as any)
  expect(rlpEncode(inner as never).length).toBeLessThan(32)
  expect(scan(raw, 2, false)).toEqual(reference(raw, 2, false))
  expect(scan(raw, 2, false)).toEqual([`node ${hex(h1)} 3`])
  const extRaw = rlpEncode(ext as never)
  expect(scan(extRaw, 10, false)).toEqual([`node ${hex(h2)} 13`])
  expect(scan(extRaw, 10, false)).toEqual(reference(extRaw, 10, false))
})

it('throws ErrBadNode on what is not a trie node', () => {
  const bads = [
    Uint8Array.of(0x80), // a string
    rlpEncode([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]), // three items
    rlpEncode([Uint8Array.of(0x40), Uint8Array.of(2)]), // hex-prefix flag 4
    rlpEncode([Uint8Array.of(0x00), new Uint8Array(5)]), // extension child of 5 bytes
    Uint8Array.of(0xc5, 0x80), // truncated list
    rlpEncode([hexPrefix(Uint8Array.of(1), true), rlpEncode([Uint8Array.of(1)])]), // bad account
  ]
  for (const raw of bads) {
    let err: unknown
    try {
      scan(raw, 0, true)
    } catch (e) {
      err = e
    }
    expect(isStateError(err, 'ErrBadNode')).toBe(true)
  }
})
