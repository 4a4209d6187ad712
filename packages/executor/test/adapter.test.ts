import { Account, Address } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import { StateAdapter } from '../src/index.js'
import { createMemoryStateDatabase } from '../src/testing.js'

const a = new Address(new Uint8Array(20).fill(0xa1))
const slot = new Uint8Array(32).fill(0)
slot[31] = 1

async function setup() {
  const db = createMemoryStateDatabase()
  const root = db.loadGenesis({
    [a.toString()]: { balance: '0x10', storage: { '0x01': '0x05' } },
  })
  return { db, adapter: new StateAdapter(await db.open(root)) }
}

describe('StateAdapter journal', () => {
  it('revert undoes account, storage and clear changes made since the checkpoint; commit keeps them', async () => {
    const { adapter } = await setup()
    await adapter.checkpoint()
    await adapter.putAccount(a, new Account(1n, 99n))
    await adapter.putStorage(a, slot, Uint8Array.of(7))
    await adapter.checkpoint()
    await adapter.clearStorage(a)
    expect(await adapter.getStorage(a, slot)).toEqual(new Uint8Array(0))
    await adapter.revert()
    expect(await adapter.getStorage(a, slot)).toEqual(Uint8Array.of(7))
    await adapter.revert()
    expect((await adapter.getAccount(a))?.balance).toBe(16n)
    expect(await adapter.getStorage(a, slot)).toEqual(Uint8Array.of(5))
    await adapter.checkpoint()
    await adapter.putStorage(a, slot, Uint8Array.of(9))
    await adapter.commit()
    expect(await adapter.getStorage(a, slot)).toEqual(Uint8Array.of(9))
  })

  it('original storage is the value at the start of the transaction until the cache is cleared', async () => {
    const { adapter } = await setup()
    await adapter.putStorage(a, slot, Uint8Array.of(8))
    await adapter.putStorage(a, slot, Uint8Array.of(9))
    expect(await adapter.originalStorageCache.get(a, slot)).toEqual(Uint8Array.of(5))
    adapter.originalStorageCache.clear()
    expect(await adapter.originalStorageCache.get(a, slot)).toEqual(Uint8Array.of(9))
  })

  it('nothing reaches the world state before flush; deleting an account drops its storage', async () => {
    const { db, adapter } = await setup()
    const before = await adapter.world.root()
    await adapter.deleteAccount(a)
    expect(await adapter.getStorage(a, slot)).toEqual(new Uint8Array(0))
    expect(await adapter.world.root()).toEqual(before)
    const root = await adapter.getStateRoot()
    expect(root).not.toEqual(before)
    expect(await (await db.open(root)).getAccount(a.bytes)).toBeUndefined()
  })
})
