/**
 * secp256k1 as discovery uses it: 64-byte public keys (x || y, the discv4 node key), 33-byte
 * compressed keys (ENR `secp256k1`, `enrtree://` keys), recoverable signatures over keccak256
 * hashes. Recovery goes through `@ethwire/crypto` (the libsecp256k1 addon where it loads, noble
 * otherwise), and so does signing, which every packet we send needs (`@ethwire/crypto`'s
 * `signRecoverable`: the same addon, about 8× faster than noble here; both give the same RFC 6979
 * low-s signature); verifying uses `@noble/curves`.
 */
import { signRecoverable as cryptoSign, loadSigner, recoverPublicKey } from '@ethwire/crypto'
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

/** Which signer `signRecoverable` uses here (`@ethwire/crypto`'s default signer). */
export function signerName(): 'native' | 'noble' {
  return loadSigner().name
}

/**
 * Signs a 32-byte hash: r (32) || s (32) || recovery id (1), low s (RFC 6979), with
 * `@ethwire/crypto`'s signer (the libsecp256k1 addon where it loads, noble otherwise). A bad
 * key is `ErrInvalidArgument`.
 */
export function signRecoverable(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  try {
    return cryptoSign(hash, privateKey)
  } catch (cause) {
    throw new Discv4Error('ErrInvalidArgument', 'cannot sign with this key or hash', { cause })
  }
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
