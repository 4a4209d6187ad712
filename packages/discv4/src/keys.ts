/**
 * secp256k1 as discovery uses it: 64-byte public keys (x || y, the discv4 node key), 33-byte
 * compressed keys (ENR `secp256k1`, `enrtree://` keys), recoverable signatures over keccak256
 * hashes. Recovery goes through `@ethwire/crypto` (the libsecp256k1 addon where it loads, noble
 * otherwise). Signing, which every packet we send needs, uses the same libsecp256k1 addon where
 * it loads (about 8× faster than noble here; both give the same RFC 6979 low-s signature) and
 * `@noble/curves` otherwise; verifying uses `@noble/curves`.
 */
import { createRequire } from 'node:module'
import { recoverPublicKey } from '@ethwire/crypto'
import { keccak256 } from '@ethwire/rlp-wire'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { Discv4Error } from './errors.js'

/** The 64-byte public key (x || y) of a 32-byte secret key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  try {
    return secp256k1.getPublicKey(privateKey, false).subarray(1)
  } catch (cause) {
    throw new Discv4Error('ErrInvalidArgument', 'not a secp256k1 secret key', { cause })
  }
}

/** A fresh random secret key (platform CSPRNG). */
export function randomPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}

/** The 32-byte node id of a 64-byte public key: keccak256(x || y). */
export function nodeIdOfPublicKey(publicKey: Uint8Array): Uint8Array {
  return keccak256(publicKey)
}

/** Whether 64 bytes are a point on the curve. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 64) return false
  try {
    const full = new Uint8Array(65)
    full[0] = 4
    full.set(publicKey, 1)
    secp256k1.Point.fromBytes(full)
    return true
  } catch {
    return false
  }
}

/** 33-byte compressed form of a 64-byte public key. */
export function compressPublicKey(publicKey: Uint8Array): Uint8Array {
  const full = new Uint8Array(65)
  full[0] = 4
  full.set(publicKey, 1)
  try {
    return secp256k1.Point.fromBytes(full).toBytes(true)
  } catch (cause) {
    throw new Discv4Error('ErrBadPublicKey', 'not a point on secp256k1', { cause })
  }
}

/** 64-byte form of a 33-byte compressed public key. Throws `ErrBadPublicKey`. */
export function decompressPublicKey(compressed: Uint8Array): Uint8Array {
  if (compressed.length !== 33) {
    throw new Discv4Error('ErrBadPublicKey', `compressed key of ${compressed.length} bytes`)
  }
  try {
    return secp256k1.Point.fromBytes(compressed).toBytes(false).subarray(1)
  } catch (cause) {
    throw new Discv4Error('ErrBadPublicKey', 'not a point on secp256k1', { cause })
  }
}

/** What the libsecp256k1 addon (npm `secp256k1`, its N-API bindings) offers that we use. */
interface NativeSigner {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number }
}

let nativeSigner: NativeSigner | null | undefined

/**
 * The addon's signer, or null where it does not load (no prebuild, a browser, a bundler). A
 * self-test against noble decides: a binding that signs differently is never used.
 */
function loadNativeSigner(): NativeSigner | null {
  if (nativeSigner !== undefined) return nativeSigner
  try {
    const lib = createRequire(import.meta.url)('secp256k1/bindings') as NativeSigner
    const key = new Uint8Array(32).fill(7)
    const hash = new Uint8Array(32).fill(9)
    const { signature, recid } = lib.ecdsaSign(hash, key)
    const ref = nobleSign(hash, key)
    let same = recid === ref[64]
    for (let i = 0; i < 64 && same; i++) same = signature[i] === ref[i]
    nativeSigner = same ? lib : null
  } catch {
    nativeSigner = null
  }
  return nativeSigner
}

/** Which signer {@link signRecoverable} uses here. */
export function signerName(): 'native' | 'noble' {
  return loadNativeSigner() === null ? 'noble' : 'native'
}

/** Signs a 32-byte hash: r (32) || s (32) || recovery id (1), low s (RFC 6979). */
export function signRecoverable(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const native = loadNativeSigner()
  if (native !== null && hash.length === 32 && privateKey.length === 32) {
    try {
      const { signature, recid } = native.ecdsaSign(hash, privateKey)
      const out = new Uint8Array(65)
      out.set(signature, 0)
      out[64] = recid
      return out
    } catch {
      // An invalid key: let noble throw its error below.
    }
  }
  return nobleSign(hash, privateKey)
}

function nobleSign(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const bytes = secp256k1.sign(hash, privateKey, { prehash: false, format: 'recovered' })
  const sig = secp256k1.Signature.fromBytes(bytes, 'recovered')
  const out = new Uint8Array(65)
  out.set(sig.toBytes('compact'), 0)
  out[64] = sig.recovery ?? 0
  return out
}

function toBigInt(b: Uint8Array): bigint {
  let x = 0n
  for (const v of b) x = (x << 8n) | BigInt(v)
  return x
}

/** The 64-byte public key that signed `hash` (65-byte r || s || v). Throws `ErrBadSignature`. */
export function recoverSigner(hash: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== 65) throw new Discv4Error('ErrBadSignature', 'signature length')
  const v = signature[64]!
  if (v > 1) throw new Discv4Error('ErrBadSignature', `recovery id ${v}`)
  try {
    const pub = recoverPublicKey(
      hash,
      toBigInt(signature.subarray(0, 32)),
      toBigInt(signature.subarray(32, 64)),
      v,
    )
    return pub.subarray(1)
  } catch (cause) {
    throw new Discv4Error('ErrBadSignature', 'no public key recovers from the signature', {
      cause,
    })
  }
}

/**
 * Verifies a 64-byte r || s signature (low s only, like go-ethereum's `VerifySignature`) of a
 * 32-byte hash against a 33- or 64-byte public key.
 */
export function verifySignature(
  hash: Uint8Array,
  signature64: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature64.length !== 64) return false
  let key = publicKey
  if (publicKey.length === 64) {
    key = new Uint8Array(65)
    key[0] = 4
    key.set(publicKey, 1)
  }
  try {
    return secp256k1.verify(signature64, hash, key, { prehash: false, lowS: true })
  } catch {
    return false
  }
}
