/**
 * The account manager: the key files of one keystore folder (go-ethereum's `accounts/keystore`
 * KeyStore). Lists accounts from the files' `address` fields without decrypting anything; keeps
 * unlocked private keys in memory, each until `lock`, `stop` or the end of its unlock duration
 * (timed on the injected clock); signs only with an unlocked key or a password given for the one
 * signature.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomPrivateKey, type Signature, sign } from '@ethwire/crypto'
import type { Clock, Startable } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { equalBytes } from '@ethwire/rlp-wire'
import { addressKey } from './address.js'
import { maxKeyFileBytes, maxTimerMs } from './constants.js'
import { AccountsError, isAccountsError } from './errors.js'
import {
  addressOfKey,
  decryptKey,
  encryptKey,
  type KdfOption,
  keyFileAddress,
  keyFileName,
  parseKeyFile,
  writeKeyFile,
} from './keystore.js'

/** One key file of the keystore. */
export interface Account {
  /** 20 bytes. */
  readonly address: Uint8Array
  /** Absolute path of its key file. */
  readonly path: string
}

/** What the manager is given. */
export interface AccountManagerDeps {
  /** Unlock expiry and key file time stamps. Default the system clock. */
  clock?: Clock
}

/** How the manager is set up. */
export interface AccountManagerOptions {
  /** The keystore folder (`<datadir>/keystore`); created with mode 0700 on the first write. */
  keystoreDir: string
  /**
   * How new key files stretch their passwords: `'standard'` (default; geth's scrypt N=2^18, p=1)
   * or `'light'` (geth's `--lightkdf`, N=2^12, p=6), or explicit parameters.
   */
  kdf?: KdfOption
}

/** Options of {@link AccountManager.signHash} and the signing helpers. */
export interface SignOptions {
  /**
   * Decrypt the key for this one signature with this password (`personal_sign`,
   * `personal_sendTransaction`); the account's lock state is not changed. Without it the account
   * must be unlocked.
   */
  password?: string
}

/** The account manager (see the module comment). `stop()` locks every account. */
export interface AccountManager extends Startable {
  readonly keystoreDir: string
  /** Every account with a readable key file, ordered by file name (creation time for geth's names). */
  accounts(): Promise<Account[]>
  /** Whether a key file holds `address`. */
  hasAddress(address: Uint8Array): Promise<boolean>
  /** Generates a key, writes its file encrypted with `password`. */
  newAccount(password: string): Promise<Account>
  /** Writes a key file for a raw private key; `ErrAccountExists` when its address is known. */
  importKey(privateKey: Uint8Array, password: string): Promise<Account>
  /**
   * Imports another v3 key file: decrypts it with `password`, writes it re-encrypted with
   * `newPassword` under our parameters (go-ethereum's `KeyStore.Import`).
   */
  importKeyFile(keyFile: string | object, password: string, newPassword: string): Promise<Account>
  /**
   * Decrypts the account's key with `password` and keeps it in memory: until {@link lock} when
   * `durationMs` is absent or 0, else for `durationMs`. Unlocking an account already unlocked
   * until lock with a duration leaves it unlocked until lock (as go-ethereum does); otherwise the
   * new duration replaces the old. `ErrUnknownAccount`, `ErrDecrypt`.
   */
  unlock(address: Uint8Array, password: string, durationMs?: number): Promise<void>
  /** Forgets the account's key (no-op when it is locked). */
  lock(address: Uint8Array): void
  /** Whether the account is unlocked now. */
  isUnlocked(address: Uint8Array): boolean
  /**
   * Signs a 32-byte hash with the account's key: unlocked, or decrypted with `options.password`.
   * `ErrLocked` when neither, `ErrUnknownAccount` for an address without key file.
   */
  signHash(address: Uint8Array, hash: Uint8Array, options?: SignOptions): Promise<Signature>
}

interface Unlocked {
  readonly privateKey: Uint8Array
  /** Virtual time of expiry, or undefined: until locked. */
  readonly expiresAt: number | undefined
  timer: unknown
}

interface CachedFile {
  readonly mtimeMs: number
  readonly size: number
  readonly address: Uint8Array | undefined
}

/** Files the listing skips as go-ethereum's account cache does: hidden, editor backups. */
function skipName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~')
}

/** A new {@link AccountManager} over the key files of `options.keystoreDir`. */
export function createAccountManager(
  deps: AccountManagerDeps,
  options: AccountManagerOptions,
): AccountManager {
  const clock = deps.clock ?? systemClock
  const dir = options.keystoreDir
  const kdf = options.kdf ?? 'standard'
  const unlocked = new Map<string, Unlocked>()
  const cache = new Map<string, CachedFile>()

  async function scan(): Promise<Account[]> {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw e
    }
    const out: Account[] = []
    const seen = new Set<string>()
    for (const name of names.sort()) {
      if (skipName(name)) continue
      const path = join(dir, name)
      let st: Awaited<ReturnType<typeof stat>>
      try {
        st = await stat(path)
      } catch {
        continue // vanished between readdir and stat
      }
      if (!st.isFile() || st.size > maxKeyFileBytes) continue
      seen.add(name)
      let entry = cache.get(name)
      if (entry === undefined || entry.mtimeMs !== st.mtimeMs || entry.size !== st.size) {
        let address: Uint8Array | undefined
        try {
          address = keyFileAddress(parseKeyFile(await readFile(path)))
        } catch {
          address = undefined // not a key file: skipped, as go-ethereum does
        }
        entry = { mtimeMs: st.mtimeMs, size: st.size, address }
        cache.set(name, entry)
      }
      if (entry.address !== undefined) out.push({ address: entry.address, path })
    }
    for (const name of cache.keys()) if (!seen.has(name)) cache.delete(name)
    return out
  }

  async function filesOf(address: Uint8Array): Promise<Account[]> {
    const all = await scan()
    const mine = all.filter((a) => equalBytes(a.address, address))
    if (mine.length === 0) throw new AccountsError('ErrUnknownAccount')
    return mine
  }

  /** Decrypts the account's key with `password`: the first of its files that opens (go-ethereum
   * refuses an ambiguous address; trying each file is what its CLI's recovery does). */
  async function decryptAccount(address: Uint8Array, password: string): Promise<Uint8Array> {
    let lastErr: unknown
    for (const f of await filesOf(address)) {
      try {
        const k = await decryptKey(await readFile(f.path), password)
        if (!equalBytes(k.address, address)) {
          throw new AccountsError(
            'ErrInvalidKeyFile',
            `key content mismatch: have account ${addressKey(k.address)}, want ${addressKey(address)}`,
          )
        }
        return k.privateKey
      } catch (e) {
        lastErr = e
        if (!isAccountsError(e, 'ErrDecrypt')) throw e
      }
    }
    throw lastErr
  }

  function forget(key: string): void {
    const u = unlocked.get(key)
    if (u === undefined) return
    if (u.timer !== undefined) clock.clearTimeout(u.timer)
    u.privateKey.fill(0)
    unlocked.delete(key)
  }

  function arm(key: string, u: Unlocked): void {
    if (u.expiresAt === undefined) return
    const remaining = u.expiresAt - clock.now()
    // Timers hold at most 2^31-1 ms; a longer unlock re-arms on the way.
    u.timer = clock.setTimeout(
      () => {
        u.timer = undefined
        if (unlocked.get(key) !== u) return
        if (clock.now() >= u.expiresAt!) forget(key)
        else arm(key, u)
      },
      Math.min(Math.max(remaining, 0), maxTimerMs),
    )
  }

  /** The unlocked key of `key`, or undefined (an expired entry is dropped here too). */
  function liveKey(key: string): Uint8Array | undefined {
    const u = unlocked.get(key)
    if (u === undefined) return undefined
    if (u.expiresAt !== undefined && clock.now() >= u.expiresAt) {
      forget(key)
      return undefined
    }
    return u.privateKey
  }

  /** Writes the key file of `privateKey`, then zeroes `privateKey` (the caller's copy). */
  async function store(privateKey: Uint8Array, password: string): Promise<Account> {
    try {
      const address = addressOfKey(privateKey)
      const json = await encryptKey(privateKey, password, { kdf })
      const path = join(dir, keyFileName(address, clock.now()))
      await writeKeyFile(path, JSON.stringify(json))
      return { address, path }
    } finally {
      privateKey.fill(0)
    }
  }

  const manager: AccountManager = {
    keystoreDir: dir,

    async start() {},

    async stop() {
      for (const key of [...unlocked.keys()]) forget(key)
    },

    accounts: scan,

    async hasAddress(address) {
      return (await scan()).some((a) => equalBytes(a.address, address))
    },

    async newAccount(password) {
      return store(randomPrivateKey(), password)
    },

    async importKey(privateKey, password) {
      const address = addressOfKey(privateKey)
      if (await manager.hasAddress(address)) throw new AccountsError('ErrAccountExists')
      return store(Uint8Array.from(privateKey), password)
    },

    async importKeyFile(keyFile, password, newPassword) {
      const k = await decryptKey(keyFile, password)
      try {
        return await manager.importKey(k.privateKey, newPassword)
      } finally {
        k.privateKey.fill(0)
      }
    },

    async unlock(address, password, durationMs = 0) {
      if (!Number.isFinite(durationMs) || durationMs < 0) {
        throw new RangeError(`unlock duration must be a non-negative number of ms: ${durationMs}`)
      }
      const privateKey = await decryptAccount(address, password)
      const key = addressKey(address)
      const existing = unlocked.get(key)
      if (existing !== undefined && existing.expiresAt === undefined && liveKey(key)) {
        privateKey.fill(0) // unlocked until lock already: a duration would only confuse
        return
      }
      forget(key)
      const u: Unlocked = {
        privateKey,
        expiresAt: durationMs > 0 ? clock.now() + durationMs : undefined,
        timer: undefined,
      }
      unlocked.set(key, u)
      arm(key, u)
    },

    lock(address) {
      forget(addressKey(address))
    },

    isUnlocked(address) {
      return liveKey(addressKey(address)) !== undefined
    },

    async signHash(address, hash, signOptions = {}) {
      if (signOptions.password !== undefined) {
        const privateKey = await decryptAccount(address, signOptions.password)
        try {
          return sign(hash, privateKey)
        } finally {
          privateKey.fill(0)
        }
      }
      const privateKey = liveKey(addressKey(address))
      if (privateKey !== undefined) return sign(hash, privateKey)
      await filesOf(address) // ErrUnknownAccount for an address we have no file for
      throw new AccountsError('ErrLocked')
    },
  }
  return manager
}
