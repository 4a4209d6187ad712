import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { isAccountsError } from '../../src/accounts/errors.js'
import {
  decryptKey,
  encryptKey,
  keyFileAddress,
  keyFileName,
  scryptMemoryBytes,
  writeKeyFile,
} from '../../src/accounts/keystore.js'
import vectorsFile from './fixtures/keystore-vectors.json' with { type: 'json' }

type Vector = { json: Record<string, unknown>; password: string; priv?: string }
const vectors = vectorsFile.vectors as Record<string, Vector>
const hex = (b: Uint8Array) => bytesToHex(b).slice(2)
const key1 = hexToBytes('0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d')

describe('Web3 Secret Storage vectors', () => {
  it('decrypts the spec scrypt vector (N=2^18, r=1, p=8: past the N < 2^(16r) of OpenSSL, so noble)', async () => {
    const v = vectors.wikipage_test_vector_scrypt!
    const k = await decryptKey(v.json, v.password)
    expect(hex(k.privateKey)).toBe(v.priv)
    expect(k.id).toBe('3198bc9c-6672-5ab3-d995-4942343ae5b6')
    expect(k.address).toEqual(privateKeyToAddress(k.privateKey))
  })

  it('decrypts the spec pbkdf2 vector', async () => {
    const v = vectors.wikipage_test_vector_pbkdf2!
    const k = await decryptKey(JSON.stringify(v.json), v.password)
    expect(hex(k.privateKey)).toBe(v.priv)
  })

  it('re-encrypts to the spec ciphertext and MAC given the spec salt and iv (pbkdf2)', async () => {
    const v = vectors.wikipage_test_vector_pbkdf2!
    const c = v.json.crypto as { ciphertext: string; mac: string }
    const json = await encryptKey(key1, 'testpassword', {
      kdf: { kdf: 'pbkdf2', c: 262144 },
      salt: hexToBytes('0xae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd'),
      iv: hexToBytes('0x6087dab2f9fdbbfaddc31a909735c1e6'),
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
    })
    expect(json.crypto.ciphertext).toBe(c.ciphertext)
    expect(json.crypto.mac).toBe(c.mac)
    expect(json.address).toBe(hex(privateKeyToAddress(key1)))
  })

  it('decrypts short keys left-padded, as go-ethereum does (31 and 30 bytes)', async () => {
    for (const name of ['31_byte_key', '30_byte_key']) {
      const v = vectors[name]!
      const k = await decryptKey(v.json, v.password)
      expect(hex(k.privateKey)).toBe(v.priv!.padStart(64, '0'))
    }
  })

  it("decrypts go-ethereum's own test file and a light-parameter file; derived address = file address", async () => {
    for (const name of ['geth_aaa', 'light_params']) {
      const v = vectors[name]!
      const k = await decryptKey(v.json, v.password)
      expect(hex(k.address)).toBe(v.json.address)
      expect(keyFileAddress(v.json)).toEqual(k.address)
      if (v.priv !== undefined) expect(hex(k.privateKey)).toBe(v.priv)
    }
  })

  it('a wrong password is ErrDecrypt with go-ethereum’s message', async () => {
    const v = vectors.light_params!
    const err = await decryptKey(v.json, 'wrong').catch((e: unknown) => e)
    expect(isAccountsError(err, 'ErrDecrypt')).toBe(true)
    expect((err as Error).message).toBe('could not decrypt key with given password')
  })
})

describe('encryptKey / decryptKey', () => {
  it('round-trips with light scrypt params and writes go-ethereum’s JSON shape', async () => {
    const json = await encryptKey(key1, 'pw', { kdf: 'light' })
    expect(json.version).toBe(3)
    expect(json.crypto.kdf).toBe('scrypt')
    expect(json.crypto.kdfparams).toMatchObject({ n: 4096, r: 8, p: 6, dklen: 32 })
    expect(json.crypto.cipherparams.iv).toMatch(/^[0-9a-f]{32}$/)
    expect(json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const k = await decryptKey(JSON.stringify(json), 'pw')
    expect(k.privateKey).toEqual(key1)
    expect(k.id).toBe(json.id)
  })

  it('round-trips with the standard params (N=2^18, r=8, p=1: 256 MiB)', async () => {
    expect(scryptMemoryBytes(262144, 8, 1)).toBeGreaterThan(256 * 1024 * 1024)
    const json = await encryptKey(key1, 'standard pw')
    expect(json.crypto.kdfparams).toMatchObject({ n: 262144, r: 8, p: 1 })
    expect((await decryptKey(json, 'standard pw')).privateKey).toEqual(key1)
  })

  it('takes a password as UTF-8 bytes', async () => {
    const json = await encryptKey(key1, 'pässwörd 🔑', { kdf: { kdf: 'scrypt', n: 16, p: 1 } })
    expect((await decryptKey(json, 'pässwörd 🔑')).privateKey).toEqual(key1)
    await expect(decryptKey(json, 'passwort 🔑')).rejects.toMatchObject({ code: 'ErrDecrypt' })
  })

  it('accepts "Crypto" (old go-ethereum/Mist files) and 0x-prefixed hex', async () => {
    const json = (await encryptKey(key1, 'x', { kdf: { kdf: 'scrypt', n: 16, p: 1 } })) as unknown
    const { crypto, ...rest } = json as { crypto: Record<string, unknown> }
    const old = { ...rest, Crypto: { ...crypto, mac: `0x${crypto.mac as string}` } }
    expect((await decryptKey(old, 'x')).privateKey).toEqual(key1)
  })

  it('refuses what it cannot read with ErrInvalidKeyFile', async () => {
    const good = await encryptKey(key1, 'x', { kdf: { kdf: 'scrypt', n: 16, p: 1 } })
    const bad: unknown[] = [
      'not json',
      '[1,2]',
      { ...good, version: 1 },
      { ...good, crypto: { ...good.crypto, cipher: 'aes-128-cbc' } },
      { ...good, crypto: { ...good.crypto, kdf: 'argon2' } },
      { ...good, crypto: { ...good.crypto, ciphertext: 'zz' } },
      { ...good, crypto: { ...good.crypto, kdfparams: { ...good.crypto.kdfparams, n: 3 } } },
      { ...good, crypto: { ...good.crypto, kdfparams: { ...good.crypto.kdfparams, n: 2 ** 30 } } },
      { ...good, crypto: { ...good.crypto, kdfparams: { ...good.crypto.kdfparams, dklen: 16 } } },
    ]
    for (const b of bad) {
      const err = await decryptKey(b as string, 'x').catch((e: unknown) => e)
      expect(isAccountsError(err, 'ErrInvalidKeyFile'), JSON.stringify(b)).toBe(true)
    }
  })

  it('refuses an invalid private key with ErrInvalidKey', async () => {
    await expect(encryptKey(new Uint8Array(32), 'x', { kdf: 'light' })).rejects.toMatchObject({
      code: 'ErrInvalidKey',
    })
    await expect(encryptKey(new Uint8Array(31).fill(1), 'x')).rejects.toMatchObject({
      code: 'ErrInvalidKey',
    })
  })
})

describe('key files on disk', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('names files as go-ethereum does: UTC--<time with dashes and ns>--<address>', () => {
    const addr = hexToBytes('0x7ef5a6135f1fd6a02593eedc869c6d41d934aef8')
    expect(keyFileName(addr, Date.UTC(2016, 2, 22, 12, 57, 55, 920))).toBe(
      'UTC--2016-03-22T12-57-55.920000000Z--7ef5a6135f1fd6a02593eedc869c6d41d934aef8',
    )
  })

  it('writes mode 0600 through a temporary file that does not stay behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ethwire-ks-'))
    dirs.push(dir)
    const path = join(dir, 'keystore', 'UTC--x--y')
    await writeKeyFile(path, '{"a":1}')
    expect(await readFile(path, 'utf8')).toBe('{"a":1}')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'keystore'))).mode & 0o077).toBe(0)
    expect(await readdir(join(dir, 'keystore'))).toEqual(['UTC--x--y'])
  })
})
