import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, privateKeyToAddress } from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { hashMessage, recoverMessageAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAccountsError } from '../../src/accounts/errors.js'
import { type AccountManager, createAccountManager } from '../../src/accounts/manager.js'
import {
  decodeSignature,
  encodeSignature,
  recoverTextSigner,
  signText,
  signTypedData,
  textHash,
} from '../../src/accounts/sign.js'
import vectors from './fixtures/eip712-vectors.json' with { type: 'json' }

const cow = keccak256(new TextEncoder().encode('cow'))
const cowAddr = privateKeyToAddress(cow)
const utf8 = (s: string) => new TextEncoder().encode(s)

describe('EIP-191 personal messages', () => {
  it('textHash is keccak256 of the "\\x19Ethereum Signed Message:\\n<len>" prefix and data', () => {
    expect(bytesToHex(textHash(utf8('hello world')))).toBe(hashMessage('hello world'))
    const raw = hexToBytes('0x00ff10')
    expect(bytesToHex(textHash(raw))).toBe(hashMessage({ raw }))
    expect(bytesToHex(textHash(new Uint8Array(0)))).toBe(hashMessage(''))
  })

  it('encode/decodeSignature round-trip with v = 27/28; other v refused', () => {
    const sig = { r: 5n, s: 2n ** 255n, recovery: 1 }
    const b = encodeSignature(sig)
    expect(b.length).toBe(65)
    expect(b[64]).toBe(28)
    expect(decodeSignature(b)).toEqual(sig)
    const v0 = Uint8Array.from(b)
    v0[64] = 0
    expect(decodeSignature(v0).recovery).toBe(0)
    v0[64] = 29
    expect(() => decodeSignature(v0)).toThrow(/V is not 27 or 28/)
    expect(() => decodeSignature(new Uint8Array(64))).toThrow(/65 bytes/)
  })
})

describe('signing through the AccountManager', () => {
  let dir: string
  let am: AccountManager
  const clock = new FakeClock()
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ethwire-sign-'))
    am = createAccountManager({ clock }, { keystoreDir: dir, kdf: 'light' })
    await am.importKey(cow, 'moo')
  })
  afterAll(async () => {
    await am.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('eth_sign needs the account unlocked; then matches viem’s signMessage', async () => {
    const data = utf8('Some data')
    const err = await signText(am, cowAddr, data).catch((e: unknown) => e)
    expect(isAccountsError(err, 'ErrLocked')).toBe(true)
    await am.unlock(cowAddr, 'moo', 1_000)
    const sig = await signText(am, cowAddr, data)
    const theirs = await privateKeyToAccount(bytesToHex(cow) as `0x${string}`).signMessage({
      message: { raw: data },
    })
    expect(bytesToHex(sig)).toBe(theirs)
    expect(recoverTextSigner(data, sig)).toEqual(cowAddr)
    expect(
      await recoverMessageAddress({
        message: { raw: data },
        signature: bytesToHex(sig) as `0x${string}`,
      }),
    ).toBe('0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826')
    clock.tick(1_000)
    expect(isAccountsError(await signText(am, cowAddr, data).catch((e) => e), 'ErrLocked')).toBe(
      true,
    )
  })

  it('personal_sign with a password signs without unlocking', async () => {
    const sig = await signText(am, cowAddr, utf8('x'), { password: 'moo' })
    expect(recoverTextSigner(utf8('x'), sig)).toEqual(cowAddr)
    expect(am.isUnlocked(cowAddr)).toBe(false)
  })

  it('eth_signTypedData_v4 through the manager gives the spec signature', async () => {
    const v = vectors.mailV4Arrays
    const sig = await signTypedData(am, cowAddr, v.typedData, { password: 'moo' })
    expect(bytesToHex(sig)).toBe(v.signature)
  })

  it('personal_ecRecover accepts only v = 27/28', () => {
    const sig = encodeSignature({ r: 1n, s: 1n, recovery: 0 })
    sig[64] = 0
    expect(() => recoverTextSigner(utf8('x'), sig)).toThrow(/V is not 27 or 28/)
  })
})
