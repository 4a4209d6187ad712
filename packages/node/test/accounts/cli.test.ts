import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, privateKeyToAddress } from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex } from '@ethwire/rlp-wire'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toChecksumAddress } from '../../src/accounts/address.js'
import {
  accountImport,
  accountList,
  accountNew,
  keystoreDir,
  passwordFor,
  readPasswordFile,
  resolveUnlockList,
  splitUnlockFlag,
  unlockAccounts,
} from '../../src/accounts/cli.js'
import { isAccountsError } from '../../src/accounts/errors.js'
import { decryptKey } from '../../src/accounts/keystore.js'
import { createAccountManager } from '../../src/accounts/manager.js'

const cow = keccak256(new TextEncoder().encode('cow'))
const cowAddr = privateKeyToAddress(cow)
let datadir: string
const clock = new FakeClock({ startMs: Date.UTC(2025, 5, 1) })

beforeEach(async () => {
  datadir = await mkdtemp(join(tmpdir(), 'ethwire-cli-'))
})
afterEach(async () => {
  await rm(datadir, { recursive: true, force: true })
})

async function errOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  )
}

describe('account commands', () => {
  it('new: writes a key file into <datadir>/keystore and prints geth’s notice', async () => {
    const { result, output } = await accountNew({ datadir, password: 'pw', kdf: 'light', clock })
    expect(
      result.path.startsWith(join(datadir, 'keystore', 'UTC--2025-06-01T00-00-00.000000000Z--')),
    ).toBe(true)
    expect((await stat(result.path)).mode & 0o777).toBe(0o600)
    expect((await decryptKey(await readFile(result.path), 'pw')).address).toEqual(result.address)
    expect(output).toContain('Your new key was generated')
    expect(output).toContain(`Public address of the key:   ${toChecksumAddress(result.address)}`)
    expect(output).toContain(`Path of the secret key file: ${result.path}`)
    expect(output).toContain('- You must REMEMBER your password!')
  })

  it('import: a raw hex key file; list prints Account #i: {address} keystore://path', async () => {
    const keyfile = join(datadir, 'key.txt')
    await writeFile(keyfile, `${bytesToHex(cow).slice(2)}\n`)
    const imported = await accountImport({ datadir, keyfile, password: 'moo', kdf: 'light', clock })
    expect(imported.result.address).toEqual(cowAddr)
    expect(imported.output).toBe(`Address: {${bytesToHex(cowAddr).slice(2)}}\n`)
    const again = await errOf(accountImport({ datadir, keyfile, password: 'x', kdf: 'light' }))
    expect(isAccountsError(again, 'ErrAccountExists')).toBe(true)
    expect((again as Error).message).toBe('account already exists')

    const made = await accountNew({ datadir, password: 'pw', kdf: 'light', clock })
    const { result, output } = await accountList({ datadir })
    expect(result.map((a) => a.path).sort()).toEqual(
      [imported.result.path, made.result.path].sort(),
    )
    expect(output.split('\n')).toEqual([
      ...result.map(
        (a, i) => `Account #${i}: {${bytesToHex(a.address).slice(2)}} keystore://${a.path}`,
      ),
      '',
    ])
  })

  it('import refuses a file that is not 64 hex characters', async () => {
    for (const text of ['abc', `${'00'.repeat(32)}`, `${bytesToHex(cow).slice(2)}zz`]) {
      const keyfile = join(datadir, 'bad.txt')
      await writeFile(keyfile, text)
      const e = await errOf(accountImport({ datadir, keyfile, password: 'x', kdf: 'light' }))
      expect(isAccountsError(e, 'ErrInvalidKey'), text).toBe(true)
    }
    // a 0x prefix and CRLF are tolerated
    const keyfile = join(datadir, 'ok.txt')
    await writeFile(keyfile, `  ${bytesToHex(cow)}\r\n`)
    const ok = await accountImport({ datadir, keyfile, password: 'x', kdf: 'light' })
    expect(ok.result.address).toEqual(cowAddr)
  })

  it('list of an empty or missing keystore prints nothing; --keystore overrides the folder', async () => {
    expect(await accountList({ datadir })).toEqual({ result: [], output: '' })
    expect(keystoreDir({ datadir })).toBe(join(datadir, 'keystore'))
    expect(keystoreDir({ datadir, keystore: '/elsewhere' })).toBe('/elsewhere')
  })
})

describe('--password and --unlock', () => {
  it('reads one password per line, CRLF tolerated; the last line serves the rest', async () => {
    const f = join(datadir, 'pw.txt')
    await writeFile(f, 'first\r\nsecond\nthird')
    const pws = await readPasswordFile(f)
    expect(pws).toEqual(['first', 'second', 'third'])
    expect(passwordFor(pws, 0)).toBe('first')
    expect(passwordFor(pws, 5)).toBe('third')
    expect(() => passwordFor([], 0)).toThrow(/no password/)
    const missing = await errOf(readPasswordFile(join(datadir, 'nope')))
    expect(isAccountsError(missing, 'ErrPasswordFile')).toBe(true)
  })

  it('splits the flag on commas, trimmed', () => {
    expect(splitUnlockFlag(' 0x01 , 1,,2 ')).toEqual(['0x01', '1', '2'])
    expect(splitUnlockFlag(['0', '1,2'])).toEqual(['0', '1', '2'])
  })

  it('resolves addresses and indices (with geth’s warning), and unlocks each with its line', async () => {
    const am = createAccountManager(
      { clock },
      { keystoreDir: keystoreDir({ datadir }), kdf: 'light' },
    )
    const a = await am.importKey(cow, 'moo')
    const b = await am.newAccount('second')
    const list = await am.accounts()
    const i = list.findIndex((x) => x.path === b.path)

    const byAddress = await resolveUnlockList(am, toChecksumAddress(a.address))
    expect(byAddress).toEqual({ addresses: [a.address], warnings: [] })
    const byIndex = await resolveUnlockList(am, `${i}`)
    expect(byIndex.addresses).toEqual([b.address])
    expect(byIndex.warnings[0]).toMatch(/dangerous/)

    for (const bad of ['x', '-1', '0x12', `${list.length}`]) {
      const e = await errOf(resolveUnlockList(am, bad))
      expect(isAccountsError(e, 'ErrInvalidUnlock'), bad).toBe(true)
    }

    const unlocked = await unlockAccounts(am, `${bytesToHex(a.address)},${i}`, ['moo', 'second'])
    expect(unlocked.addresses).toEqual([a.address, b.address])
    expect(am.isUnlocked(a.address) && am.isUnlocked(b.address)).toBe(true)
    clock.tick(10 * 24 * 3600_000) // --unlock is until locked
    expect(am.isUnlocked(a.address)).toBe(true)
    expect(clock.pending).toBe(0)
    await am.stop()

    const wrong = await errOf(unlockAccounts(am, `${i}`, ['nope']))
    expect(isAccountsError(wrong, 'ErrDecrypt')).toBe(true)
    expect((wrong as Error).message).toBe(
      `failed to unlock account ${toChecksumAddress(b.address)} (could not decrypt key with given password)`,
    )
    const unknown = await errOf(unlockAccounts(am, `0x${'ee'.repeat(20)}`, ['x']))
    expect(isAccountsError(unknown, 'ErrUnknownAccount')).toBe(true)
  })
})

describe('addresses', () => {
  it('EIP-55 checksums (the EIP’s examples)', () => {
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      const bytes = Uint8Array.from(Buffer.from(a.slice(2), 'hex'))
      expect(toChecksumAddress(bytes)).toBe(a)
    }
  })
})
