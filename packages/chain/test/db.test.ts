import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hexToBytes, keccak256 } from '@ethwire/rlp-wire'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  EMPTY_REQUESTS_HASH,
  genesisHeader,
  importChainFile,
  openChain,
  parseGenesis,
} from '../src/index.js'
import { canonicalKey, keyLastBlock, keyLastHeader } from '../src/schema.js'
import { tempChain } from '../src/testing.js'

const here = dirname(fileURLToPath(import.meta.url))
const genesisJson = readFileSync(join(here, 'fixtures', 'genesis.json'), 'utf8')
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

describe('database', () => {
  it('serves genesis alloc code by hash (GetNodeData) and nothing for unknown hashes', async () => {
    const t = await tempChain({ genesis: parseGenesis(genesisJson) })
    cleanups.push(t.cleanup)
    const acc = Object.values(parseGenesis(genesisJson).alloc ?? {}).find((a) => a.code) as {
      code: string
    }
    const code = hexToBytes(acc.code)
    expect(await t.chain.getNodeData(keccak256(code))).toEqual(code)
    expect(await t.chain.getNodeData(new Uint8Array(32))).toBeUndefined()
    // many at once: in order, code found by its hash, unknown and malformed hashes undefined
    const many = await t.chain.getNodeDataMany([
      new Uint8Array(32),
      keccak256(code),
      new Uint8Array(5),
      keccak256(code),
    ])
    expect(many).toEqual([undefined, code, undefined, code])
  })

  it('repairs a head pointer that names a missing block and removes canonical entries above the head', async () => {
    const t = await tempChain({ genesis: parseGenesis(genesisJson) })
    cleanups.push(t.cleanup)
    await importChainFile(t.chain, join(here, 'fixtures', 'chain.rlp'), undefined, {
      batchBlocks: 600,
    })
    await t.chain.setHead(20n)
    await t.chain.close()
    // Damage the database the way a non-atomic writer could: pointers at an unknown hash and a
    // stray canonical entry above the head.
    const db = new Level<Uint8Array, Uint8Array>(t.dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    })
    await db.put(keyLastBlock, new Uint8Array(32).fill(7))
    await db.put(keyLastHeader, new Uint8Array(32).fill(7))
    await db.put(canonicalKey(25n), new Uint8Array(32).fill(9))
    await db.close()
    const re = await openChain({ location: t.dir })
    expect(re.currentHeader().number).toBe(20n)
    expect(await re.getCanonicalHash(25n)).toBeUndefined()
    await re.verifyIntegrity()
    await re.close()
  })

  it('builds the Prague genesis fields (EIP-7685 empty requests hash is sha256 of nothing)', () => {
    expect(Buffer.from(EMPTY_REQUESTS_HASH).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    const g = parseGenesis(genesisJson)
    g.config.cancunTime = 0
    g.config.pragueTime = 0
    const h = genesisHeader(g)
    expect(h.requestsHash).toEqual(EMPTY_REQUESTS_HASH)
    expect(h.parentBeaconRoot).toEqual(new Uint8Array(32))
    expect(h.excessBlobGas).toBe(0n)
    expect(h.baseFee).toBe(1_000_000_000n)
  })
})
