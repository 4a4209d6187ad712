/**
 * Bodies of the `ethwire account new | list | import` commands and of the `--password` /
 * `--unlock` flags, as go-ethereum's `cmd/geth/accountcmd.go` and `cmd/utils` do them. They
 * return what to print; wiring them to argv is the CLI's.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock } from '@ethwire/interface'
import { bytesToHex } from '@ethwire/rlp-wire'
import { parseAddress, toChecksumAddress } from './address.js'
import { keystoreDirName } from './constants.js'
import { AccountsError, isAccountsError } from './errors.js'
import type { KdfOption } from './keystore.js'
import { type Account, type AccountManager, createAccountManager } from './manager.js'

/** Options every account command takes. */
export interface AccountCommandOptions {
  datadir: string
  /** A keystore folder other than `<datadir>/keystore` (geth's `--keystore`). */
  keystore?: string
  /** `'light'` is geth's `--lightkdf`. Default `'standard'`. */
  kdf?: KdfOption
  /** Time stamps of new key file names. Default the system clock. */
  clock?: Clock
}

/** What a command did, and the text to print for it (lines joined with `\n`, ending in one). */
export interface AccountCommandResult<T> {
  result: T
  output: string
}

/** `<datadir>/keystore`, or `keystore` when given. */
export function keystoreDir(o: { datadir: string; keystore?: string }): string {
  return o.keystore ?? join(o.datadir, keystoreDirName)
}

function managerFor(o: AccountCommandOptions): AccountManager {
  const deps = o.clock === undefined ? {} : { clock: o.clock }
  const options = { keystoreDir: keystoreDir(o), ...(o.kdf === undefined ? {} : { kdf: o.kdf }) }
  return createAccountManager(deps, options)
}

const plainHex = (a: Uint8Array): string => bytesToHex(a).slice(2)

/** `ethwire account new`: a new key encrypted with `password`. Prints geth's notice. */
export async function accountNew(
  o: AccountCommandOptions & { password: string },
): Promise<AccountCommandResult<Account>> {
  const account = await managerFor(o).newAccount(o.password)
  const output = [
    '',
    'Your new key was generated',
    '',
    `Public address of the key:   ${toChecksumAddress(account.address)}`,
    `Path of the secret key file: ${account.path}`,
    '',
    '- You can share your public address with anyone. Others need it to interact with you.',
    '- You must NEVER share the secret key with anyone! The key controls access to your funds!',
    "- You must BACKUP your key file! Without the key, it's impossible to access account funds!",
    "- You must REMEMBER your password! Without the password, it's impossible to decrypt the key!",
    '',
    '',
  ].join('\n')
  return { result: account, output }
}

/** `ethwire account list`: `Account #0: {address} keystore:///path` per key file. */
export async function accountList(
  o: AccountCommandOptions,
): Promise<AccountCommandResult<Account[]>> {
  const accounts = await managerFor(o).accounts()
  const output = accounts
    .map((a, i) => `Account #${i}: {${plainHex(a.address)}} keystore://${a.path}\n`)
    .join('')
  return { result: accounts, output }
}

/**
 * Reads a raw private key file as geth's `account import` does: 64 hex characters (an `0x` in
 * front and surrounding white space are tolerated). `ErrInvalidKey` otherwise.
 */
export async function readRawKeyFile(path: string): Promise<Uint8Array> {
  const text = (await readFile(path, 'utf8')).trim()
  const hex = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new AccountsError('ErrInvalidKey', `${path}: key file must hold 64 hex characters`)
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** `ethwire account import <keyfile>`: the raw key in `keyfile`, encrypted with `password`. */
export async function accountImport(
  o: AccountCommandOptions & { keyfile: string; password: string },
): Promise<AccountCommandResult<Account>> {
  const key = await readRawKeyFile(o.keyfile)
  try {
    const account = await managerFor(o).importKey(key, o.password)
    return { result: account, output: `Address: {${plainHex(account.address)}}\n` }
  } finally {
    key.fill(0)
  }
}

/**
 * The lines of a `--password` file: one password per line, `\r\n` endings accepted, as geth's
 * `MakePasswordList` (a trailing newline makes a last, empty entry there too).
 */
export async function readPasswordFile(path: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new AccountsError(
      'ErrPasswordFile',
      `failed to read password file: ${(e as Error).message}`,
      {
        cause: e,
      },
    )
  }
  return text.split('\n').map((l) => l.replace(/\r+$/, ''))
}

/**
 * The password of the `i`-th account of a `--password` list: line `i`, or the last line when
 * there are fewer lines (geth's `GetPassPhraseWithList`). `ErrPasswordFile` for an empty list.
 */
export function passwordFor(passwords: readonly string[], i: number): string {
  if (passwords.length === 0) throw new AccountsError('ErrPasswordFile', 'no password given')
  return passwords[Math.min(i, passwords.length - 1)]!
}

/** What {@link resolveUnlockList} found. */
export interface ResolvedUnlock {
  /** One per entry, in order. */
  addresses: Uint8Array[]
  /** Lines to log: geth warns when accounts are named by their index. */
  warnings: string[]
}

/** The entries of an `--unlock` value: comma separated, trimmed, empty ones dropped. */
export function splitUnlockFlag(value: string | readonly string[]): string[] {
  const parts = typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','))
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

/**
 * Resolves `--unlock` entries (addresses, or indices into the keystore's account list as
 * `account list` numbers them) to addresses. `ErrInvalidUnlock` for an entry that is neither or
 * an index past the list; an address without key file is left for unlock to refuse.
 */
export async function resolveUnlockList(
  manager: Pick<AccountManager, 'accounts'>,
  unlock: string | readonly string[],
): Promise<ResolvedUnlock> {
  const entries = splitUnlockFlag(unlock)
  const warnings: string[] = []
  const addresses: Uint8Array[] = []
  let list: Account[] | undefined
  for (const e of entries) {
    const a = parseAddress(e)
    if (a !== undefined) {
      addresses.push(a)
      continue
    }
    if (!/^\d+$/.test(e))
      throw new AccountsError('ErrInvalidUnlock', `invalid account address or index "${e}"`)
    const index = Number(e)
    list ??= await manager.accounts()
    if (index >= list.length) {
      throw new AccountsError(
        'ErrInvalidUnlock',
        `index ${index} higher than number of accounts ${list.length}`,
      )
    }
    if (warnings.length === 0) {
      warnings.push(
        'Referring to accounts by order in the keystore folder is dangerous!',
        'This functionality is deprecated and will be removed in the future!',
        'Please use explicit addresses! (can search via `ethwire account list`)',
      )
    }
    addresses.push(list[index]!.address)
  }
  return { addresses, warnings }
}

/**
 * `--unlock` with `--password`: resolves the entries, then unlocks each until locked with the
 * password on its line of `passwords`. Resolves to the unlocked addresses; rejects with the first
 * failure (`ErrInvalidUnlock`, `ErrUnknownAccount`, `ErrDecrypt` whose message names the account).
 */
export async function unlockAccounts(
  manager: Pick<AccountManager, 'accounts' | 'unlock'>,
  unlock: string | readonly string[],
  passwords: readonly string[],
): Promise<ResolvedUnlock> {
  const resolved = await resolveUnlockList(manager, unlock)
  for (const [i, address] of resolved.addresses.entries()) {
    try {
      await manager.unlock(address, passwordFor(passwords, i))
    } catch (e) {
      if (isAccountsError(e)) {
        throw new AccountsError(
          e.code,
          `failed to unlock account ${toChecksumAddress(address)} (${e.message})`,
          { cause: e },
        )
      }
      throw e
    }
  }
  return resolved
}
