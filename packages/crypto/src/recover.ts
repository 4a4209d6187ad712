import { createRequire } from 'node:module'
import { keccak256 } from '@ethwire/keccak'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import {
  addressLengthBytes,
  hashLengthBytes,
  publicKeyLengthBytes,
  secp256k1HalfN,
  secp256k1N,
} from './constants.js'
import { CryptoError } from './errors.js'

/** One way to recover a public key from an ECDSA signature over secp256k1. */
export interface Recoverer {
  readonly name: 'native' | 'noble'
  /**
   * The 65-byte uncompressed public key (0x04 || x || y) that signed `hash`.
   * Throws {@link CryptoError} (`ErrInvalidHash`, `ErrInvalidSignature`, `ErrInvalidRecovery`,
   * `ErrRecoveryFailed`).
   */
  recoverPublicKey(hash: Uint8Array, r: bigint, s: bigint, recovery: number): Uint8Array
}

/** A signature as r, s and the recovery id (0 or 1 for Ethereum; 2 and 3 are accepted too). */
export interface Signature {
  r: bigint
  s: bigint
  recovery: number
}

/** What the libsecp256k1 addon (`secp256k1` on npm, its N-API bindings) offers that we use. */
interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number }
}

/** One way to make recoverable ECDSA signatures over secp256k1 (RFC 6979 k, low s). */
export interface Signer {
  readonly name: 'native' | 'noble'
  /**
   * Signs a 32-byte hash with a 32-byte key: r (32) ‖ s (32) ‖ recovery id (1). Throws
   * `ErrInvalidHash` / `ErrInvalidPrivateKey`.
   */
  signRecoverable(hash: Uint8Array, privateKey: Uint8Array): Uint8Array
}

let addonCache: NativeSecp256k1 | null | undefined
/** The addon's N-API bindings, or null (loaded once; its entry point's JS fallback is never used). */
function loadAddon(): NativeSecp256k1 | null {
  if (addonCache !== undefined) return addonCache
  try {
    addonCache = createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1
  } catch {
    addonCache = null
  }
  return addonCache
}

/**
 * True when r and s are valid signature values: both in [1, n-1], and with `homestead`
 * (EIP-2) s at most n/2, so a signature has one form only. `recovery`, when given, must be 0 or 1.
 */
export function isValidSignatureValues(
  r: bigint,
  s: bigint,
  homestead: boolean,
  recovery?: number,
): boolean {
  if (recovery !== undefined && recovery !== 0 && recovery !== 1) return false
  if (r < 1n || r >= secp256k1N || s < 1n || s >= secp256k1N) return false
  if (homestead && s > secp256k1HalfN) return false
  return true
}

/** Throws the typed error for the first thing wrong with the inputs. */
export function checkRecoveryInputs(
  hash: Uint8Array,
  r: bigint,
  s: bigint,
  recovery: number,
  opts: { homestead?: boolean } = {},
): void {
  if (!(hash instanceof Uint8Array) || hash.length !== hashLengthBytes) {
    throw new CryptoError('ErrInvalidHash', `hash must be ${hashLengthBytes} bytes`)
  }
  if (typeof r !== 'bigint' || typeof s !== 'bigint') {
    throw new CryptoError('ErrInvalidSignature', 'r and s must be bigints')
  }
  if (!Number.isInteger(recovery) || recovery < 0 || recovery > 3) {
    throw new CryptoError('ErrInvalidRecovery', `recovery id ${recovery} is not 0..3`)
  }
  if (!isValidSignatureValues(r, s, opts.homestead === true)) {
    throw new CryptoError(
      'ErrInvalidSignature',
      opts.homestead === true && s > secp256k1HalfN && s < secp256k1N
        ? 's is in the upper half of the curve order (EIP-2)'
        : 'r or s is out of range',
    )
  }
}

/** Writes a bigint < 2^256 as 32 big-endian bytes into `out` at `offset`. */
export function writeUint256(out: Uint8Array, offset: number, v: bigint): void {
  let x = v
  for (let i = offset + 31; i >= offset; i--) {
    out[i] = Number(x & 0xffn)
    x >>= 8n
  }
}

/** The pure-JS recoverer (`@noble/curves`): works everywhere, about 25x slower than native. */
export const nobleRecoverer: Recoverer = {
  name: 'noble',
  recoverPublicKey(hash, r, s, recovery) {
    checkRecoveryInputs(hash, r, s, recovery)
    try {
      return new secp256k1.Signature(r, s, recovery).recoverPublicKey(hash).toBytes(false)
    } catch (cause) {
      throw new CryptoError('ErrRecoveryFailed', 'no public key recovers from this signature', {
        cause,
      })
    }
  },
}

/** Wraps the addon's bindings as a {@link Recoverer}. */
function nativeRecoverer(lib: NativeSecp256k1): Recoverer {
  const sig = new Uint8Array(64)
  return {
    name: 'native',
    recoverPublicKey(hash, r, s, recovery) {
      checkRecoveryInputs(hash, r, s, recovery)
      writeUint256(sig, 0, r)
      writeUint256(sig, 32, s)
      try {
        return lib.ecdsaRecover(sig, recovery, hash, false)
      } catch (cause) {
        throw new CryptoError('ErrRecoveryFailed', 'no public key recovers from this signature', {
          cause,
        })
      }
    },
  }
}

let nativeCache: Recoverer | null | undefined

/**
 * The libsecp256k1 recoverer, or null when the addon does not load here (no prebuild for the
 * platform, a browser, a bundler). Loads the addon's N-API bindings directly: the package's own
 * entry point silently falls back to a slow JS implementation, which we do not want.
 */
export function loadNativeRecoverer(): Recoverer | null {
  if (nativeCache !== undefined) return nativeCache
  try {
    const lib = loadAddon()
    if (lib === null) throw new Error('no addon')
    const rec = nativeRecoverer(lib)
    // Smoke test: a bad binding must not become the default.
    selfTest(rec)
    nativeCache = rec
  } catch {
    nativeCache = null
  }
  return nativeCache
}

let selfTestVector: { hash: Uint8Array; sig: Signature; pub: Uint8Array } | undefined
function selfTest(rec: Recoverer): void {
  if (selfTestVector === undefined) {
    const priv = new Uint8Array(32)
    priv[31] = 1
    const hash = keccak256(new TextEncoder().encode('ethwire'))
    selfTestVector = {
      hash,
      sig: sign(hash, priv, { signer: nobleSigner }),
      pub: secp256k1.getPublicKey(priv, false),
    }
  }
  const { hash, sig, pub } = selfTestVector
  const got = rec.recoverPublicKey(hash, sig.r, sig.s, sig.recovery)
  if (!equalBytes(got, pub)) throw new Error('native recoverer self-test failed')
}

/** The fastest recoverer that loads here: native where the addon loads, noble otherwise. */
export function loadRecoverer(): Recoverer {
  return loadNativeRecoverer() ?? nobleRecoverer
}

let defaultRecoverer: Recoverer | undefined
function recoverer(): Recoverer {
  if (defaultRecoverer === undefined) defaultRecoverer = loadRecoverer()
  return defaultRecoverer
}

/** Recovers the 65-byte uncompressed public key with the default recoverer ({@link loadRecoverer}). */
export function recoverPublicKey(
  hash: Uint8Array,
  r: bigint,
  s: bigint,
  recovery: number,
  opts: { homestead?: boolean; recoverer?: Recoverer } = {},
): Uint8Array {
  if (opts.homestead === true) checkRecoveryInputs(hash, r, s, recovery, opts)
  return (opts.recoverer ?? recoverer()).recoverPublicKey(hash, r, s, recovery)
}

/** The 20-byte address of a public key: the last 20 bytes of keccak256(x || y). */
export function publicKeyToAddress(pub: Uint8Array): Uint8Array {
  let xy: Uint8Array
  if (pub.length === publicKeyLengthBytes && pub[0] === 4) xy = pub.subarray(1)
  else if (pub.length === publicKeyLengthBytes - 1) xy = pub
  else if (pub.length === 33 && (pub[0] === 2 || pub[0] === 3)) {
    try {
      xy = secp256k1.Point.fromBytes(pub).toBytes(false).subarray(1)
    } catch (cause) {
      throw new CryptoError('ErrInvalidPublicKey', 'not a point on the curve', { cause })
    }
  } else {
    throw new CryptoError('ErrInvalidPublicKey', `public key of ${pub.length} bytes`)
  }
  return keccak256(xy).subarray(32 - addressLengthBytes)
}

/** Recovers the signer's 20-byte address. Same errors as {@link recoverPublicKey}. */
export function recoverAddress(
  hash: Uint8Array,
  r: bigint,
  s: bigint,
  recovery: number,
  opts: { homestead?: boolean; recoverer?: Recoverer } = {},
): Uint8Array {
  return publicKeyToAddress(recoverPublicKey(hash, r, s, recovery, opts))
}

function checkPrivateKey(priv: Uint8Array): void {
  if (!(priv instanceof Uint8Array) || priv.length !== 32) {
    throw new CryptoError('ErrInvalidPrivateKey', 'private key must be 32 bytes')
  }
  let k = 0n
  for (const b of priv) k = (k << 8n) | BigInt(b)
  if (k === 0n || k >= secp256k1N) throw new CryptoError('ErrInvalidPrivateKey', 'out of range')
}

function checkHash(hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== hashLengthBytes) {
    throw new CryptoError('ErrInvalidHash', `hash must be ${hashLengthBytes} bytes`)
  }
}

/** The pure-JS signer (`@noble/curves`): works everywhere, about 8x slower than native. */
export const nobleSigner: Signer = {
  name: 'noble',
  signRecoverable(hash, privateKey) {
    checkHash(hash)
    checkPrivateKey(privateKey)
    const bytes = secp256k1.sign(hash, privateKey, { prehash: false, format: 'recovered' })
    const sig = secp256k1.Signature.fromBytes(bytes, 'recovered')
    const out = new Uint8Array(65)
    out.set(sig.toBytes('compact'), 0)
    out[64] = sig.recovery ?? 0
    return out
  },
}

function nativeSigner(lib: NativeSecp256k1): Signer {
  return {
    name: 'native',
    signRecoverable(hash, privateKey) {
      checkHash(hash)
      if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32)
        throw new CryptoError('ErrInvalidPrivateKey', 'private key must be 32 bytes')
      let res: { signature: Uint8Array; recid: number }
      try {
        res = lib.ecdsaSign(hash, privateKey)
      } catch (cause) {
        // libsecp256k1 refuses a zero key or one not below n
        throw new CryptoError('ErrInvalidPrivateKey', 'out of range', { cause })
      }
      const out = new Uint8Array(65)
      out.set(res.signature, 0)
      out[64] = res.recid
      return out
    },
  }
}

let nativeSignerCache: Signer | null | undefined

/**
 * The libsecp256k1 signer, or null where the addon does not load. A self-test decides: a
 * binding that does not sign exactly as noble does (both are RFC 6979 with low s) is not used.
 */
export function loadNativeSigner(): Signer | null {
  if (nativeSignerCache !== undefined) return nativeSignerCache
  nativeSignerCache = null
  const lib = loadAddon()
  if (lib !== null) {
    try {
      const signer = nativeSigner(lib)
      const key = new Uint8Array(32).fill(7)
      const hash = keccak256(new TextEncoder().encode('ethwire'))
      if (equalBytes(signer.signRecoverable(hash, key), nobleSigner.signRecoverable(hash, key)))
        nativeSignerCache = signer
    } catch {
      // stays null
    }
  }
  return nativeSignerCache
}

/** The fastest signer that loads here: native where the addon loads, noble otherwise. */
export function loadSigner(): Signer {
  return loadNativeSigner() ?? nobleSigner
}

let defaultSigner: Signer | undefined

/**
 * Signs a 32-byte hash with the default signer ({@link loadSigner}): the 65 bytes
 * r ‖ s ‖ recovery id (RFC 6979 deterministic k, low s), as discv4 packets and ENRs carry them.
 */
export function signRecoverable(
  hash: Uint8Array,
  privateKey: Uint8Array,
  opts: { signer?: Signer } = {},
): Uint8Array {
  if (opts.signer !== undefined) return opts.signer.signRecoverable(hash, privateKey)
  if (defaultSigner === undefined) defaultSigner = loadSigner()
  return defaultSigner.signRecoverable(hash, privateKey)
}

function readUint256(b: Uint8Array, offset: number): bigint {
  let x = 0n
  for (let i = offset; i < offset + 32; i++) x = (x << 8n) | BigInt(b[i]!)
  return x
}

/**
 * Signs a 32-byte hash (RFC 6979 deterministic k, low s) and returns r, s and the recovery id;
 * native where the addon loads (the same signature either way).
 */
export function sign(
  hash: Uint8Array,
  privateKey: Uint8Array,
  opts: { signer?: Signer } = {},
): Signature {
  checkHash(hash)
  checkPrivateKey(privateKey)
  const sig = signRecoverable(hash, privateKey, opts)
  return { r: readUint256(sig, 0), s: readUint256(sig, 32), recovery: sig[64]! }
}

/** The 65-byte uncompressed public key of a private key. */
export function privateKeyToPublicKey(privateKey: Uint8Array): Uint8Array {
  checkPrivateKey(privateKey)
  return secp256k1.getPublicKey(privateKey, false)
}

/** The 20-byte address of a private key. */
export function privateKeyToAddress(privateKey: Uint8Array): Uint8Array {
  return publicKeyToAddress(privateKeyToPublicKey(privateKey))
}

/** A fresh random private key (32 bytes, from the platform CSPRNG). */
export function randomPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}

/** keccak256 (from `@ethwire/keccak`), re-exported for callers that need the hash of a signing payload. */
export { keccak256 }

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
