import { readFileSync } from 'node:fs'
import { genesisState } from '@ethwire/chain'
import { hexToBytes } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  applyAlloc,
  createStateDatabase,
  EMPTY_ROOT,
  type GenesisAllocAccount,
  genesisCommit,
} from '../src/index.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { hex } from './helpers.js'

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/ethtest/${name}`, import.meta.url), 'utf8'))

describe('genesis', () => {
  it('the ethtest genesis alloc gives the same root as @ethwire/chain genesisState', async () => {
    const alloc = fixture('genesis.json').alloc as Record<string, GenesisAllocAccount>
    const c = await genesisCommit(alloc)
    expect(hex(c.root)).toBe(hex(genesisState(alloc).stateRoot))
    // and the ops store it: a database over them reads every account back
    const kv = new MemoryKeyValueStore()
    kv.write(c.ops)
    const db = createStateDatabase({ db: kv })
    for (const [a, acc] of Object.entries(alloc)) {
      const got = await db.getAccount(c.root, hexToBytes(a))
      expect(got?.balance).toBe(BigInt(acc.balance ?? 0))
      if (acc.code) expect(hex((await db.getCode(got!.codeHash))!)).toBe(acc.code.slice(2))
      for (const [k, v] of Object.entries(acc.storage ?? {})) {
        const s = await db.getStorage(
          c.root,
          hexToBytes(a),
          hexToBytes(k.slice(2).padStart(64, '0')),
        )
        expect(BigInt(`0x${hex(s)}`)).toBe(BigInt(v))
      }
    }
  })

  it('allocs with decimal numbers, zero storage values and short keys match chain too', async () => {
    const alloc: Record<string, GenesisAllocAccount> = {
      '0x0000000000000000000000000000000000000001': { balance: '1' },
      '00000000000000000000000000000000000000ff': { balance: '0x10', nonce: '7' },
      '0x1000000000000000000000000000000000000000': {
        balance: '0',
        code: '0x6000',
        storage: { '0x01': '0x02', '0x00': '0x00', '0x03': '12345' },
      },
    }
    expect(hex((await genesisCommit(alloc)).root)).toBe(hex(genesisState(alloc).stateRoot))
    expect(hex((await genesisCommit({})).root)).toBe(hex(EMPTY_ROOT))
  })

  it("go-ethereum's state dump at block 600 of the ethtest chain rebuilds to its root", async () => {
    const dump = fixture('headstate.json') as {
      root: string
      accounts: Record<
        string,
        {
          balance: string
          nonce: number
          root: string
          codeHash: string
          code?: string
          storage?: Record<string, string>
        }
      >
    }
    const alloc: Record<string, GenesisAllocAccount> = {}
    for (const [a, acc] of Object.entries(dump.accounts)) {
      alloc[a] = {
        balance: acc.balance,
        nonce: String(acc.nonce),
        ...(acc.code ? { code: acc.code } : {}),
        // the dump writes storage values as hex without 0x
        ...(acc.storage
          ? {
              storage: Object.fromEntries(
                Object.entries(acc.storage).map(([k, v]) => [k, `0x${v}`]),
              ),
            }
          : {}),
      }
    }
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    applyAlloc(w, alloc)
    const c = await w.commit()
    expect(hex(c.root)).toBe(dump.root)
    kv.write(c.ops)
    for (const [a, acc] of Object.entries(dump.accounts)) {
      const got = await db.getAccount(c.root, hexToBytes(a))
      expect(hex(got!.storageRoot)).toBe(acc.root.slice(2))
      expect(hex(got!.codeHash)).toBe(acc.codeHash.slice(2))
    }
  })
})
