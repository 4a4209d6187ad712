import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, privateKeyToAddress, recoverAddress } from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, hexToBytes, Transaction } from '@ethwire/rlp-wire'
import { hashMessage } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAccountsError } from '../../src/accounts/errors.js'
import { type AccountManager, createAccountManager } from '../../src/accounts/manager.js'
import {
  type AccountRpcDeps,
  ethAccountMethods,
  personalAccountMethods,
} from '../../src/accounts/rpc-methods.js'
import type { TxFillBackend } from '../../src/accounts/tx.js'
import vectors from './fixtures/eip712-vectors.json' with { type: 'json' }

const cow = keccak256(new TextEncoder().encode('cow'))
const cowHex = bytesToHex(privateKeyToAddress(cow))
const to = `0x${'42'.repeat(20)}`

let dir: string
let clock: FakeClock
let manager: AccountManager
let submitted: Transaction[]
let deps: AccountRpcDeps

const backend: TxFillBackend = {
  nonceAt: async () => 3n,
  estimateGas: async () => 21_000n,
  suggestTip: async () => 1n,
  baseFee: async () => 100n,
  chainId: () => 1n,
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ethwire-rpc-'))
  clock = new FakeClock()
  manager = createAccountManager({ clock }, { keystoreDir: dir, kdf: 'light' })
  await manager.importKey(cow, 'moo')
  submitted = []
  deps = { manager, backend, submit: async (tx) => void submitted.push(tx) }
})
afterEach(async () => {
  await manager.stop()
  await rm(dir, { recursive: true, force: true })
})

async function code(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  return isAccountsError(e) ? e.code : String(e)
}

describe('eth namespace', () => {
  it('eth_accounts lists lower-case addresses', async () => {
    expect(await ethAccountMethods(deps).eth_accounts!([])).toEqual([cowHex])
  })

  it('eth_sign: locked, then unlocked; bad params', async () => {
    const m = ethAccountMethods(deps)
    expect(await code(m.eth_sign!([cowHex, '0xdeadbeef']))).toBe('ErrLocked')
    await manager.unlock(privateKeyToAddress(cow), 'moo')
    const sig = hexToBytes((await m.eth_sign!([cowHex, '0xdeadbeef'])) as string)
    const h = hexToBytes(hashMessage({ raw: hexToBytes('0xdeadbeef') }))
    expect(
      bytesToHex(
        recoverAddress(
          h,
          BigInt(bytesToHex(sig.slice(0, 32))),
          BigInt(bytesToHex(sig.slice(32, 64))),
          sig[64]! - 27,
        ),
      ),
    ).toBe(cowHex)
    expect(await code(m.eth_sign!(['0x12', '0x']))).toBe('ErrInvalidParams')
    expect(await code(m.eth_sign!([cowHex, 'abc']))).toBe('ErrInvalidParams')
    expect(await code(m.eth_sign!([to, '0x']))).toBe('ErrUnknownAccount')
  })

  it('eth_signTypedData_v4 takes the object or its JSON text', async () => {
    const m = ethAccountMethods(deps)
    await manager.unlock(privateKeyToAddress(cow), 'moo')
    const v = vectors.mailV4Arrays
    expect(await m.eth_signTypedData_v4!([cowHex, v.typedData])).toBe(v.signature)
    expect(await m.eth_signTypedData_v4!([cowHex, JSON.stringify(v.typedData)])).toBe(v.signature)
    expect(await code(m.eth_signTypedData_v4!([cowHex, '{"types":1}']))).toBe('ErrInvalidTypedData')
  })

  it('eth_sendTransaction fills, signs, submits and returns the hash', async () => {
    const m = ethAccountMethods(deps)
    await manager.unlock(privateKeyToAddress(cow), 'moo')
    const hash = await m.eth_sendTransaction!([{ from: cowHex, to, value: '0x1' }])
    expect(submitted.length).toBe(1)
    const tx = submitted[0]!
    expect(hash).toBe(bytesToHex(tx.hash))
    expect(tx).toMatchObject({
      type: 2,
      nonce: 3n,
      gasLimit: 21_000n,
      maxFeePerGas: 201n,
      maxPriorityFeePerGas: 1n,
    })
    expect(bytesToHex(recoverAddress(tx.sigHash(), tx.r, tx.s, tx.recovery))).toBe(cowHex)
  })

  it('eth_signTransaction returns raw and tx, and needs gas, fee and nonce', async () => {
    const m = ethAccountMethods(deps)
    await manager.unlock(privateKeyToAddress(cow), 'moo')
    const args = { from: cowHex, to, gas: '0x5208', gasPrice: '0x10', nonce: '0x9' }
    const r = (await m.eth_signTransaction!([args])) as { raw: string; tx: Record<string, unknown> }
    const tx = Transaction.decode(hexToBytes(r.raw))
    expect(tx.type).toBe(0)
    expect(tx.nonce).toBe(9n)
    expect(r.tx).toMatchObject({
      from: cowHex,
      hash: bytesToHex(tx.hash),
      nonce: '0x9',
      gasPrice: '0x10',
      to,
      blockHash: null,
    })
    expect(submitted).toEqual([])
    expect(await code(m.eth_signTransaction!([{ ...args, nonce: undefined }]))).toBe(
      'ErrInvalidTransaction',
    )
  })
})

describe('personal namespace', () => {
  it('unlockAccount: default 300 s, 0 until locked, seconds otherwise; lockAccount', async () => {
    const m = personalAccountMethods(deps)
    expect(await m.personal_unlockAccount!([cowHex, 'moo'])).toBe(true)
    clock.tick(299_999)
    expect(manager.isUnlocked(privateKeyToAddress(cow))).toBe(true)
    clock.tick(1)
    expect(manager.isUnlocked(privateKeyToAddress(cow))).toBe(false)
    await m.personal_unlockAccount!([cowHex, 'moo', 10])
    clock.tick(10_000)
    expect(manager.isUnlocked(privateKeyToAddress(cow))).toBe(false)
    await m.personal_unlockAccount!([cowHex, 'moo', 0])
    clock.tick(10 ** 9)
    expect(manager.isUnlocked(privateKeyToAddress(cow))).toBe(true)
    expect(await m.personal_lockAccount!([cowHex])).toBe(true)
    expect(manager.isUnlocked(privateKeyToAddress(cow))).toBe(false)
    expect(await code(m.personal_unlockAccount!([cowHex, 'bad']))).toBe('ErrDecrypt')
  })

  it('unlocking can be forbidden (HTTP without --allow-insecure-unlock)', async () => {
    const m = personalAccountMethods({ ...deps, unlockAllowed: false })
    const e = await m.personal_unlockAccount!([cowHex, 'moo']).catch((err: unknown) => err)
    expect((e as Error).message).toBe('account unlock with HTTP access is forbidden')
  })

  it('newAccount, importRawKey, listAccounts', async () => {
    const m = personalAccountMethods(deps)
    const made = (await m.personal_newAccount!(['pw'])) as string
    const key = `0x${'11'.repeat(32)}`
    const imported = await m.personal_importRawKey!([key.slice(2), 'pw'])
    expect(imported).toBe(bytesToHex(privateKeyToAddress(hexToBytes(key))))
    expect(await code(m.personal_importRawKey!([key, 'pw']))).toBe('ErrAccountExists')
    expect(((await m.personal_listAccounts!([])) as string[]).sort()).toEqual(
      [cowHex, made, imported].sort(),
    )
  })

  it('sign with a password and ecRecover it', async () => {
    const m = personalAccountMethods(deps)
    const sig = (await m.personal_sign!(['0x68656c6c6f', cowHex, 'moo'])) as string
    expect(await m.personal_ecRecover!(['0x68656c6c6f', sig])).toBe(cowHex)
    expect(await code(m.personal_sign!(['0x68656c6c6f', cowHex]))).toBe('ErrLocked')
    expect(await code(m.personal_ecRecover!(['0x00', '0x1234']))).toBe('ErrInvalidSignature')
  })

  it('sendTransaction with the password leaves the account locked', async () => {
    const m = personalAccountMethods(deps)
    const hash = await m.personal_sendTransaction!([{ from: cowHex, to }, 'moo'])
    expect(hash).toBe(bytesToHex(submitted[0]!.hash))
    expect(manager.isUnlocked(privateKeyToAddress(cow))).toBe(false)
    expect(await code(m.personal_sendTransaction!([{ from: cowHex, to }, 'bad']))).toBe(
      'ErrDecrypt',
    )
  })
})
