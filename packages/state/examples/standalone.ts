/**
 * The README example: a state database over LevelDB, two blocks of changes committed in the
 * caller's own batches, reads at both roots, a proof checked, node data served.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex, keccak256 } from '@ethwire/rlp-wire'
import { Level } from 'level'
import {
  createStateDatabase,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  genesisCommit,
  verifyAccountProof,
} from '../src/index.js'

export async function main(): Promise<string[]> {
  const log: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'state-example-'))
  const level = new Level<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  await level.open()
  try {
    const state = createStateDatabase({ db: level }, { cacheBytes: 32 * 1024 * 1024 })

    // genesis: the alloc as a root and the ops that store it
    const alice = Uint8Array.from({ length: 20 }, (_, i) => i + 1)
    const genesis = await genesisCommit({
      [bytesToHex(alice)]: { balance: '1000000000000000000' },
    })
    await level.batch(genesis.ops) // with the genesis block and head pointers, in one batch
    state.written(genesis.ops)
    log.push(`genesis root ${bytesToHex(genesis.root)}`)

    // block 1: a transfer, a contract with code and storage
    const bob = Uint8Array.from({ length: 20 }, () => 0xbb)
    const token = Uint8Array.from({ length: 20 }, () => 0xcc)
    const code = Uint8Array.of(0x60, 0x01, 0x60, 0x00, 0x55, 0x00)
    const world = state.open(genesis.root)
    const a = (await world.getAccount(alice))!
    world.setAccount(alice, { ...a, nonce: a.nonce + 1n, balance: a.balance - 10n })
    world.setAccount(bob, {
      nonce: 0n,
      balance: 10n,
      storageRoot: EMPTY_ROOT,
      codeHash: EMPTY_CODE_HASH,
    })
    world.setCode(keccak256(code), code)
    world.setAccount(token, {
      nonce: 1n,
      balance: 0n,
      storageRoot: EMPTY_ROOT,
      codeHash: keccak256(code),
    })
    const slot = new Uint8Array(32)
    const one = new Uint8Array(32)
    one[31] = 1
    world.setStorage(token, slot, one)
    const mid = await world.root() // e.g. a pre-Byzantium receipt's post-state
    const block1 = await world.commit()
    const same = bytesToHex(mid) === bytesToHex(block1.root)
    log.push(
      `block 1: ${block1.ops.length} ops (nodes and code), root() before commit the same: ${same}`,
    )
    await level.batch(block1.ops)
    state.written(block1.ops)

    // reads at any stored root
    log.push(`bob at genesis: ${(await state.getAccount(genesis.root, bob))?.balance ?? 'absent'}`)
    log.push(`bob at block 1: ${(await state.getAccount(block1.root, bob))?.balance}`)
    log.push(`token slot 0: ${bytesToHex(await state.getStorage(block1.root, token, slot))}`)

    // an EIP-1186 proof, checked against the root alone
    const proof = await state.getProof(block1.root, token, [slot])
    verifyAccountProof(block1.root, proof)
    log.push(
      `proof: ${proof.accountProof.length} account nodes, slot value ${proof.storageProof[0]!.value}`,
    )

    // GetNodeData serving: trie nodes and code by hash
    const served = await state.getNodeData([block1.root, keccak256(code)], {
      maxBytes: 2 * 1024 * 1024,
    })
    log.push(`served ${served.length} items`)
  } finally {
    await level.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return log
}

if (import.meta.url === `file://${process.argv[1]}`) console.log((await main()).join('\n'))
