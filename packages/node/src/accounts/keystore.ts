/**
 * Web3 Secret Storage (keystore v3) key files: scrypt or PBKDF2-HMAC-SHA256 stretches the password,
 * the first 16 bytes of the derived key encrypt the private key with AES-128-CTR, and the MAC is
 * keccak256(derivedKey[16:32] ‖ ciphertext). Files are written as go-ethereum writes them:
 * `UTC--<ISO 8601 time>--<address>` in `<datadir>/keystore`, mode 0600, through a temporary file.
 */
import {
  createCipheriv,
  createDecipheriv,
  pbkdf2,
  randomBytes,
  randomUUID,
  scrypt,
  timingSafeEqual,
} from 'node:crypto'
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { keccak256, privateKeyToAddress, secp256k1N } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import {
  defaultPbkdf2Iterations,
  derivedKeyLengthBytes,
  keyFileMode,
  keyFileVersion,
  keystoreDirMode,
  lightScryptN,
  lightScryptP,
  maxPbkdf2Iterations,
  maxScryptMemoryBytes,
  scryptR,
  standardScryptN,
  standardScryptP,
} from './constants.js'
import { AccountsError } from './errors.js'

/** scrypt cost parameters (r defaults to 8). */
export interface ScryptKdf {
  readonly kdf: 'scrypt'
  readonly n: number
  readonly r?: number
  readonly p: number
}

/** PBKDF2-HMAC-SHA256 with `c` iterations (default 262,144). */
export interface Pbkdf2Kdf {
  readonly kdf: 'pbkdf2'
  readonly c?: number
}

/**
 * How a new key file stretches its password: `'standard'` (scrypt N=2^18, r=8, p=1, geth's
 * default), `'light'` (scrypt N=2^12, r=8, p=6, geth's `--lightkdf`), or explicit parameters.
 */
export type KdfOption = 'standard' | 'light' | ScryptKdf | Pbkdf2Kdf

/** The `crypto` object of a v3 key file. */
export interface KeyFileCrypto {
  cipher: 'aes-128-ctr'
  ciphertext: string
  cipherparams: { iv: string }
  kdf: 'scrypt' | 'pbkdf2'
  kdfparams:
    | { dklen: number; n: number; r: number; p: number; salt: string }
    | { dklen: number; c: number; prf: 'hmac-sha256'; salt: string }
  mac: string
}

/** A v3 key file as go-ethereum writes it (`address` is lower-case hex without `0x`). */
export interface KeyFileJson {
  address: string
  crypto: KeyFileCrypto
  id: string
  version: 3
}

/** Options of {@link encryptKey}; `salt`, `iv` and `id` are for reproducible tests only. */
export interface EncryptKeyOptions {
  /** Default `'standard'`. */
  kdf?: KdfOption
  /** 32 random bytes unless given. */
  salt?: Uint8Array
  /** 16 random bytes unless given. */
  iv?: Uint8Array
  /** A random UUID (v4) unless given. */
  id?: string
}

/** What a key file decrypts to. */
export interface DecryptedKey {
  /** 32 bytes (shorter plaintexts, as some old files hold, are left-padded as go-ethereum does). */
  privateKey: Uint8Array
  /** The address of the key (derived from it, not read from the file). */
  address: Uint8Array
  /** The file's UUID. */
  id: string
}

/** The scrypt parameters a {@link KdfOption} stands for, or the PBKDF2 ones. */
export function resolveKdf(option: KdfOption = 'standard'): ScryptKdf | Pbkdf2Kdf {
  if (option === 'standard')
    return { kdf: 'scrypt', n: standardScryptN, r: scryptR, p: standardScryptP }
  if (option === 'light') return { kdf: 'scrypt', n: lightScryptN, r: scryptR, p: lightScryptP }
  return option
}

const invalid = (message: string, cause?: unknown): AccountsError =>
  new AccountsError('ErrInvalidKeyFile', message, cause === undefined ? {} : { cause })

function checkScrypt(n: number, r: number, p: number, dklen: number): void {
  for (const [name, v] of [
    ['n', n],
    ['r', r],
    ['p', p],
    ['dklen', dklen],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw invalid(`scrypt ${name} must be a positive integer`)
  }
  if (n < 2 || (n & (n - 1)) !== 0) throw invalid('scrypt n must be a power of two above 1')
  if (scryptMemoryBytes(n, r, p) > maxScryptMemoryBytes) {
    throw invalid(`scrypt parameters need more than ${maxScryptMemoryBytes} bytes of memory`)
  }
}

/** Memory OpenSSL's scrypt needs for these parameters: 128·r·(N+2) + 128·r·p bytes. */
export function scryptMemoryBytes(n: number, r: number, p: number): number {
  return 128 * r * (n + 2) + 128 * r * p
}

/**
 * OpenSSL (behind `node:crypto`) keeps RFC 7914's N < 2^(16·r); go-ethereum does not, and the
 * Web3 Secret Storage spec vector itself has N=2^18 with r=1. Those files go through
 * `@noble/hashes` (pure JS, a few times slower), everything else through OpenSSL.
 */
export function opensslRefusesScrypt(n: number, r: number): boolean {
  return r <= 3 && n >= 2 ** (16 * r)
}

async function runScrypt(
  password: Uint8Array,
  salt: Uint8Array,
  n: number,
  r: number,
  p: number,
  dklen: number,
): Promise<Uint8Array> {
  checkScrypt(n, r, p, dklen)
  // Node's default maxmem (32 MiB) refuses N=2^18, r=8; pass what these parameters need.
  const maxmem = scryptMemoryBytes(n, r, p) + 1024 * 1024
  if (opensslRefusesScrypt(n, r)) {
    return scryptAsync(password, salt, { N: n, r, p, dkLen: dklen, maxmem })
  }
  return new Promise((resolve, reject) => {
    scrypt(password, salt, dklen, { N: n, r, p, maxmem }, (err, key) => {
      if (err) reject(invalid(`scrypt failed: ${err.message}`, err))
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.length))
    })
  })
}

function runPbkdf2(
  password: Uint8Array,
  salt: Uint8Array,
  c: number,
  dklen: number,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(c) || c < 1 || c > maxPbkdf2Iterations) {
    throw invalid(`pbkdf2 c must be an integer in [1, ${maxPbkdf2Iterations}]`)
  }
  if (!Number.isSafeInteger(dklen) || dklen < 1) throw invalid('pbkdf2 dklen must be positive')
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, c, dklen, 'sha256', (err, key) => {
      if (err) reject(invalid(`pbkdf2 failed: ${err.message}`, err))
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.length))
    })
  })
}

function aes128Ctr(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  encrypt: boolean,
): Uint8Array {
  const c = encrypt
    ? createCipheriv('aes-128-ctr', key, iv)
    : createDecipheriv('aes-128-ctr', key, iv)
  const out = Buffer.concat([c.update(data), c.final()])
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

function mac(derivedKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const buf = new Uint8Array(16 + ciphertext.length)
  buf.set(derivedKey.subarray(16, 32), 0)
  buf.set(ciphertext, 16)
  return keccak256(buf)
}

const hex = (b: Uint8Array): string => bytesToHex(b).slice(2)
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

function unhex(value: unknown, field: string, length?: number): Uint8Array {
  if (typeof value !== 'string') throw invalid(`${field} must be a hex string`)
  const s = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw invalid(`${field} is not hex`)
  if (length !== undefined && s.length !== 2 * length) {
    throw invalid(`${field} must be ${length} bytes`)
  }
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

/** Throws `ErrInvalidKey` unless `key` is a 32-byte secp256k1 private key in [1, n-1]. */
export function checkPrivateKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new AccountsError('ErrInvalidKey', 'private key must be 32 bytes')
  }
  let v = 0n
  for (const b of key) v = (v << 8n) | BigInt(b)
  if (v === 0n || v >= secp256k1N) {
    throw new AccountsError('ErrInvalidKey', 'private key is out of range')
  }
}

/** The address of a private key, with `ErrInvalidKey` for a bad key. */
export function addressOfKey(privateKey: Uint8Array): Uint8Array {
  checkPrivateKey(privateKey)
  return privateKeyToAddress(privateKey)
}

/** Encrypts a private key into a v3 key file (the JSON object; `JSON.stringify` it to write). */
export async function encryptKey(
  privateKey: Uint8Array,
  password: string,
  options: EncryptKeyOptions = {},
): Promise<KeyFileJson> {
  const address = addressOfKey(privateKey)
  const kdf = resolveKdf(options.kdf)
  const salt = options.salt ?? randomBytes(32)
  const iv = options.iv ?? randomBytes(16)
  if (iv.length !== 16) throw invalid('iv must be 16 bytes')
  const pw = utf8(password)
  let derivedKey: Uint8Array
  let kdfparams: KeyFileCrypto['kdfparams']
  if (kdf.kdf === 'scrypt') {
    const r = kdf.r ?? scryptR
    derivedKey = await runScrypt(pw, salt, kdf.n, r, kdf.p, derivedKeyLengthBytes)
    kdfparams = { dklen: derivedKeyLengthBytes, n: kdf.n, p: kdf.p, r, salt: hex(salt) }
  } else {
    const c = kdf.c ?? defaultPbkdf2Iterations
    derivedKey = await runPbkdf2(pw, salt, c, derivedKeyLengthBytes)
    kdfparams = { c, dklen: derivedKeyLengthBytes, prf: 'hmac-sha256', salt: hex(salt) }
  }
  const ciphertext = aes128Ctr(derivedKey.subarray(0, 16), iv, privateKey, true)
  return {
    address: hex(address),
    crypto: {
      cipher: 'aes-128-ctr',
      ciphertext: hex(ciphertext),
      cipherparams: { iv: hex(iv) },
      kdf: kdf.kdf,
      kdfparams,
      mac: hex(mac(derivedKey, ciphertext)),
    },
    id: options.id ?? randomUUID(),
    version: keyFileVersion,
  }
}

/** A field of `obj` by name, matched case-insensitively (as Go's JSON decoder matches them). */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name]
  const lower = name.toLowerCase()
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k]
  return undefined
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalid(`${what} must be an object`)
  return v as Record<string, unknown>
}

/** Parses key file text into an object, with `ErrInvalidKeyFile` for anything but a JSON object. */
export function parseKeyFile(text: string | Uint8Array): Record<string, unknown> {
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text)
  let v: unknown
  try {
    v = JSON.parse(s)
  } catch (e) {
    throw invalid('key file is not JSON', e)
  }
  return asObject(v, 'key file')
}

/**
 * The address a key file says it holds (its `address` field), or undefined when it has none or
 * it is not 20 bytes of hex. Reads no secret: this is what listing the keystore uses.
 */
export function keyFileAddress(json: KeyFileJson | object): Uint8Array | undefined {
  const a = field(json as Record<string, unknown>, 'address')
  if (typeof a !== 'string') return undefined
  try {
    return unhex(a, 'address', 20)
  } catch {
    return undefined
  }
}

/**
 * Decrypts a v3 key file (its text or parsed object) with `password`. Throws `ErrDecrypt` when
 * the MAC does not match (wrong password), `ErrInvalidKeyFile` for an unreadable file.
 */
export async function decryptKey(
  keyFile: string | Uint8Array | KeyFileJson | object,
  password: string,
): Promise<DecryptedKey> {
  const json =
    typeof keyFile === 'string' || keyFile instanceof Uint8Array
      ? parseKeyFile(keyFile)
      : asObject(keyFile, 'key file')
  const version = field(json, 'version')
  if (version !== keyFileVersion) {
    throw invalid(`version not supported: ${JSON.stringify(version)}`)
  }
  const id = field(json, 'id')
  if (typeof id !== 'string') throw invalid('id must be a string')
  const c = asObject(field(json, 'crypto'), 'crypto')
  const cipher = field(c, 'cipher')
  if (cipher !== 'aes-128-ctr') throw invalid(`cipher not supported: ${String(cipher)}`)
  const theirMac = unhex(field(c, 'mac'), 'crypto.mac')
  const iv = unhex(field(asObject(field(c, 'cipherparams'), 'cipherparams'), 'iv'), 'iv', 16)
  const ciphertext = unhex(field(c, 'ciphertext'), 'crypto.ciphertext')
  const params = asObject(field(c, 'kdfparams'), 'kdfparams')
  const salt = unhex(field(params, 'salt'), 'kdfparams.salt')
  const dklen = field(params, 'dklen')
  if (typeof dklen !== 'number' || dklen < 32) throw invalid('kdfparams.dklen must be at least 32')
  const pw = utf8(password)
  const kdf = field(c, 'kdf')
  const num = (name: string): number => {
    const v = field(params, name)
    if (typeof v !== 'number') throw invalid(`kdfparams.${name} must be a number`)
    return v
  }
  let derivedKey: Uint8Array
  if (kdf === 'scrypt') {
    derivedKey = await runScrypt(pw, salt, num('n'), num('r'), num('p'), dklen)
  } else if (kdf === 'pbkdf2') {
    const prf = field(params, 'prf')
    if (prf !== 'hmac-sha256') throw invalid(`unsupported PBKDF2 PRF: ${String(prf)}`)
    derivedKey = await runPbkdf2(pw, salt, num('c'), dklen)
  } else {
    throw invalid(`unsupported KDF: ${String(kdf)}`)
  }
  const ours = mac(derivedKey, ciphertext)
  if (theirMac.length !== ours.length || !timingSafeEqual(theirMac, ours)) {
    throw new AccountsError('ErrDecrypt')
  }
  const plain = aes128Ctr(derivedKey.subarray(0, 16), iv, ciphertext, false)
  if (plain.length > 32)
    throw new AccountsError('ErrInvalidKey', 'decrypted key is longer than 32 bytes')
  const privateKey = new Uint8Array(32)
  privateKey.set(plain, 32 - plain.length)
  return { privateKey, address: addressOfKey(privateKey), id }
}

/**
 * go-ethereum's key file name: `UTC--2016-03-22T12-57-55.920000000Z--<address hex>` (the time in
 * UTC with colons replaced by dashes and nanoseconds, from milliseconds here).
 */
export function keyFileName(address: Uint8Array, timeMs: number): string {
  const iso = new Date(timeMs).toISOString() // 2016-03-22T12:57:55.920Z
  const stamp = `${iso.slice(0, 19).replaceAll(':', '-')}.${iso.slice(20, 23)}000000Z`
  return `UTC--${stamp}--${hex(address)}`
}

/**
 * Writes `content` to `path` with mode 0600 (creating the folder with 0700), through a hidden
 * temporary file in the same folder and a rename, so a crash never leaves half a key file.
 */
export async function writeKeyFile(path: string, content: string): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: keystoreDirMode })
  const tmp = join(dir, `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`)
  try {
    await writeFile(tmp, content, { mode: keyFileMode, flag: 'wx' })
    await chmod(tmp, keyFileMode) // 0600 whatever the umask
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw e
  }
}
