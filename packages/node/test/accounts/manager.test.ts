import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, privateKeyToAddress, recoverAddress } from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAccountsError } from '../../src/accounts/errors.js'
import { decryptKey, encryptKey } from '../../src/accounts/keystore.js'
import { type AccountManager, createAccountManager } from '../../src/accounts/manager.js'
import vectorsFile from './fixtures/keystore-vectors.json' with { type: 'json' }

const key1 = hexToBytes('0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d')
const addr1 = privateKeyToAddress(key1)
const hash = keccak256(new TextEncoder().encode('message'))

let dir: string
let clock: FakeClock
let am: AccountManager

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ethwire-am-'))
  clock = new FakeClock({ startMs: Date.UTC(2024, 0, 2, 3, 4, 5, 678) })
  am = createAccountManager({ clock }, { keystoreDir: join(dir, 'keystore'), kdf: 'light' })
})

afterEach(async () => {
  await am.stop()
  expect(clock.pending).toBe(0)
  await rm(dir, { recursive: true, force: true })
})

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (e) {
    if (!isAccountsError(e)) throw e
    return e.code
  }
}

describe('AccountManager: keystore folder', () => {
  it('lists nothing when the keystore folder does not exist', async () => {
    expect(await am.accounts()).toEqual([])
  })

  it('new: writes a UTC--… file (0600) that decrypts with the password, and lists it', async () => {
    const a = await am.newAccount('pw')
    const name = `UTC--2024-01-02T03-04-05.678000000Z--${bytesToHex(a.address).slice(2)}`
    expect(a.path).toBe(join(dir, 'keystore', name))
    expect((await stat(a.path)).mode & 0o777).toBe(0o600)
    const json = JSON.parse(await readFile(a.path, 'utf8'))
    expect(json.crypto.kdfparams).toMatchObject({ n: 4096, p: 6, r: 8 })
    expect((await decryptKey(json, 'pw')).address).toEqual(a.address)
    expect(await am.accounts()).toEqual([a])
    expect(await am.hasAddress(a.address)).toBe(true)
  })

  it('lists in file-name order and skips hidden files, backups, folders and non-key files', async () => {
    clock.tick(1000)
    const b = await am.newAccount('b')
    const a = await am.importKey(key1, 'a')
    const ks = join(dir, 'keystore')
    const aaa = vectorsFile.vectors.geth_aaa.json
    await writeFile(join(ks, 'aaa'), JSON.stringify(aaa))
    await writeFile(join(ks, '.hidden'), JSON.stringify(aaa))
    await writeFile(join(ks, 'aaa~'), JSON.stringify(aaa))
    await writeFile(join(ks, 'garbage'), 'not json at all')
    await writeFile(join(ks, 'no-address'), JSON.stringify({ ...aaa, address: undefined }))
    await mkdir(join(ks, 'sub'))
    const list = await am.accounts()
    // ordered by file name: the two UTC--… files (same time stamp, so by address), then 'aaa'
    expect(list.map((x) => x.path)).toEqual([b.path, a.path, join(ks, 'aaa')].sort())
    expect(list.find((x) => x.path.endsWith('aaa'))!.address).toEqual(
      hexToBytes(`0x${aaa.address}`),
    )
    // a file changed in place is read again
    await writeFile(join(ks, 'aaa'), 'now garbage, and longer than before')
    expect((await am.accounts()).some((x) => x.path.endsWith('aaa'))).toBe(false)
  })

  it('import: writes the raw key; a second import of the same key is ErrAccountExists', async () => {
    const a = await am.importKey(key1, 'pw')
    expect(a.address).toEqual(addr1)
    expect((await decryptKey(await readFile(a.path), 'pw')).privateKey).toEqual(key1)
    expect(await codeOf(am.importKey(key1, 'other'))).toBe('ErrAccountExists')
    expect(await codeOf(am.importKey(new Uint8Array(32), 'x'))).toBe('ErrInvalidKey')
  })

  it('importKeyFile: re-encrypts another key file under the new password', async () => {
    const other = await encryptKey(key1, 'old', { kdf: { kdf: 'pbkdf2', c: 2 } })
    expect(await codeOf(am.importKeyFile(other, 'wrong', 'new'))).toBe('ErrDecrypt')
    const a = await am.importKeyFile(JSON.stringify(other), 'old', 'new')
    const json = JSON.parse(await readFile(a.path, 'utf8'))
    expect(json.crypto.kdf).toBe('scrypt')
    expect((await decryptKey(json, 'new')).privateKey).toEqual(key1)
  })
})

describe('AccountManager: unlock, lock and signing', () => {
  beforeEach(async () => {
    await am.importKey(key1, 'pw')
  })

  it('signs only when unlocked; ErrLocked carries go-ethereum’s message', async () => {
    const err = await am.signHash(addr1, hash).catch((e: unknown) => e)
    expect(isAccountsError(err, 'ErrLocked')).toBe(true)
    expect((err as Error).message).toBe('authentication needed: password or unlock')
    await am.unlock(addr1, 'pw')
    expect(am.isUnlocked(addr1)).toBe(true)
    const sig = await am.signHash(addr1, hash)
    expect(recoverAddress(hash, sig.r, sig.s, sig.recovery)).toEqual(addr1)
    am.lock(addr1)
    expect(am.isUnlocked(addr1)).toBe(false)
    expect(await codeOf(am.signHash(addr1, hash))).toBe('ErrLocked')
  })

  it('unknown accounts and wrong passwords have their codes and messages', async () => {
    const stranger = hexToBytes('0x00000000000000000000000000000000000000aa')
    const e1 = await am.unlock(stranger, 'pw').catch((e: unknown) => e)
    expect(isAccountsError(e1, 'ErrUnknownAccount')).toBe(true)
    expect((e1 as Error).message).toBe('unknown account')
    expect(await codeOf(am.signHash(stranger, hash))).toBe('ErrUnknownAccount')
    const e2 = await am.unlock(addr1, 'nope').catch((e: unknown) => e)
    expect(isAccountsError(e2, 'ErrDecrypt')).toBe(true)
    expect((e2 as Error).message).toBe('could not decrypt key with given password')
    expect(am.isUnlocked(addr1)).toBe(false)
  })

  it('a timed unlock expires on the clock, not before', async () => {
    await am.unlock(addr1, 'pw', 60_000)
    expect(clock.pending).toBe(1)
    clock.tick(59_999)
    expect(am.isUnlocked(addr1)).toBe(true)
    await am.signHash(addr1, hash)
    clock.tick(1)
    expect(am.isUnlocked(addr1)).toBe(false)
    expect(clock.pending).toBe(0)
    expect(await codeOf(am.signHash(addr1, hash))).toBe('ErrLocked')
  })

  it('re-unlocking a timed account restarts its duration; one timer only', async () => {
    await am.unlock(addr1, 'pw', 10_000)
    clock.tick(9_000)
    await am.unlock(addr1, 'pw', 10_000)
    expect(clock.pending).toBe(1)
    clock.tick(9_000)
    expect(am.isUnlocked(addr1)).toBe(true)
    clock.tick(1_000)
    expect(am.isUnlocked(addr1)).toBe(false)
  })

  it('an account unlocked until lock stays so when unlocked again with a duration', async () => {
    await am.unlock(addr1, 'pw')
    expect(clock.pending).toBe(0)
    await am.unlock(addr1, 'pw', 1_000)
    clock.tick(10_000)
    expect(am.isUnlocked(addr1)).toBe(true)
    // the password is still checked
    expect(await codeOf(am.unlock(addr1, 'bad', 1_000))).toBe('ErrDecrypt')
  })

  it('a timed unlock can be upgraded to until-lock', async () => {
    await am.unlock(addr1, 'pw', 1_000)
    await am.unlock(addr1, 'pw', 0)
    expect(clock.pending).toBe(0)
    clock.tick(10_000)
    expect(am.isUnlocked(addr1)).toBe(true)
  })

  it('durations beyond the 2^31-1 ms a timer holds re-arm instead of firing at once', async () => {
    const days40 = 40 * 24 * 3600_000
    await am.unlock(addr1, 'pw', days40)
    clock.tick(2 ** 31 - 1)
    expect(am.isUnlocked(addr1)).toBe(true)
    expect(clock.pending).toBe(1)
    clock.tick(days40 - (2 ** 31 - 1))
    expect(am.isUnlocked(addr1)).toBe(false)
  })

  it('expiry is checked at signing time even when no timer has fired yet', async () => {
    await am.unlock(addr1, 'pw', 5_000)
    // move virtual time without firing timers (as a stalled event loop would)
    const at = clock.now()
    ;(clock as unknown as { now: () => number }).now = () => at + 5_000
    expect(am.isUnlocked(addr1)).toBe(false)
    expect(await codeOf(am.signHash(addr1, hash))).toBe('ErrLocked')
  })

  it('a password signs once without unlocking', async () => {
    const sig = await am.signHash(addr1, hash, { password: 'pw' })
    expect(recoverAddress(hash, sig.r, sig.s, sig.recovery)).toEqual(addr1)
    expect(am.isUnlocked(addr1)).toBe(false)
    expect(await codeOf(am.signHash(addr1, hash, { password: 'bad' }))).toBe('ErrDecrypt')
  })

  it('stop locks everything and leaves no timer', async () => {
    await am.unlock(addr1, 'pw', 60_000)
    await am.stop()
    expect(am.isUnlocked(addr1)).toBe(false)
    expect(clock.pending).toBe(0)
  })

  it('with two files for one address, unlock opens whichever the password fits', async () => {
    const other = await encryptKey(key1, 'second', { kdf: 'light' })
    await writeFile(join(dir, 'keystore', 'zzz'), JSON.stringify(other))
    expect((await am.accounts()).length).toBe(2)
    await am.unlock(addr1, 'second')
    expect(am.isUnlocked(addr1)).toBe(true)
    am.lock(addr1)
    await am.unlock(addr1, 'pw')
    expect(am.isUnlocked(addr1)).toBe(true)
  })

  it('a file whose address field lies is refused (no key swap)', async () => {
    const other = await encryptKey(hexToBytes(`0x${'11'.repeat(32)}`), 'pw', { kdf: 'light' })
    const ks = join(dir, 'keystore')
    for (const f of await readdir(ks)) await rm(join(ks, f))
    await writeFile(
      join(ks, 'liar'),
      JSON.stringify({ ...other, address: bytesToHex(addr1).slice(2) }),
    )
    expect(await codeOf(am.unlock(addr1, 'pw'))).toBe('ErrInvalidKeyFile')
  })
})
