/**
 * ECIES as RLPx uses it: secp256k1 ECDH, NIST SP 800-56 concat KDF over SHA-256, AES-128-CTR,
 * HMAC-SHA256 tag over `iv || c || shared-mac-data` (the EIP-8 size prefix).
 *
 *     message = R(65, uncompressed) || iv(16) || c || d(32)
 */
import { ctr } from '@noble/ciphers/aes.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, equalBytes } from './bytes.js'
import { RlpxError } from './errors.js'
import type { RandomBytes } from './types.js'

/** Overhead ECIES adds to a plaintext: R + iv + tag. */
export const eciesOverheadBytes = 65 + 16 + 32

/** 64-byte node id (uncompressed public key without the 0x04 prefix) of a secret key. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(secretKey, false).subarray(1)
}

type NodeCryptoModule = typeof import('node:crypto')

/** OpenSSL's secp256k1 ECDH when running on Node (about 2x noble's here); undefined elsewhere. */
const nodeCrypto: NodeCryptoModule | undefined = (() => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const m = p?.getBuiltinModule?.('node:crypto') as NodeCryptoModule | undefined
    return m?.getCurves().includes('secp256k1') ? m : undefined
  } catch {
    return undefined
  }
})()

/** x coordinate of secretKey * remotePub (remotePub is a 64-byte node id). Throws on a bad point. */
export function ecdhX(secretKey: Uint8Array, remoteId: Uint8Array): Uint8Array {
  if (nodeCrypto) {
    const ecdh = nodeCrypto.createECDH('secp256k1')
    ecdh.setPrivateKey(secretKey)
    const x = ecdh.computeSecret(withPrefix(remoteId))
    return new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
  }
  return ecdhXPure(secretKey, remoteId)
}

/** The same with @noble/curves only (the browser path). */
export function ecdhXPure(secretKey: Uint8Array, remoteId: Uint8Array): Uint8Array {
  return secp256k1.getSharedSecret(secretKey, withPrefix(remoteId), true).subarray(1)
}

export function withPrefix(id: Uint8Array): Uint8Array {
  if (id.length === 65) return id
  const out = new Uint8Array(65)
  out[0] = 4
  out.set(id, 1)
  return out
}

/** A valid secp256k1 secret key from the random source. */
export function randomSecretKey(random: RandomBytes): Uint8Array {
  for (;;) {
    const k = random(32)
    if (secp256k1.utils.isValidSecretKey(k)) return k
  }
}

export function isValidSecretKey(k: Uint8Array): boolean {
  return k.length === 32 && secp256k1.utils.isValidSecretKey(k)
}

export function isValidNodeId(id: Uint8Array): boolean {
  return id.length === 64 && secp256k1.utils.isValidPublicKey(withPrefix(id), false)
}

function concatKdf(z: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len)
  for (let counter = 1, off = 0; off < len; counter++, off += 32) {
    const ctrBytes = Uint8Array.of(
      counter >>> 24,
      (counter >>> 16) & 0xff,
      (counter >>> 8) & 0xff,
      counter & 0xff,
    )
    const block = sha256(concatBytes(ctrBytes, z))
    out.set(block.subarray(0, Math.min(32, len - off)), off)
  }
  return out
}

function keys(z: Uint8Array): { kE: Uint8Array; kM: Uint8Array } {
  const k = concatKdf(z, 32)
  return { kE: k.subarray(0, 16), kM: sha256(k.subarray(16, 32)) }
}

export function eciesEncrypt(
  remoteId: Uint8Array,
  plaintext: Uint8Array,
  sharedMacData: Uint8Array,
  random: RandomBytes,
): Uint8Array {
  const r = randomSecretKey(random)
  const R = secp256k1.getPublicKey(r, false)
  const { kE, kM } = keys(ecdhX(r, remoteId))
  const iv = random(16)
  const c = ctr(kE, iv).encrypt(plaintext)
  const d = hmac(sha256, kM, concatBytes(iv, c, sharedMacData))
  return concatBytes(R, iv, c, d)
}

export function eciesDecrypt(
  secretKey: Uint8Array,
  message: Uint8Array,
  sharedMacData: Uint8Array,
): Uint8Array {
  if (message.length < eciesOverheadBytes)
    throw new RlpxError('ErrHandshake', 'ecies: message too short')
  if (message[0] !== 4) throw new RlpxError('ErrHandshake', 'ecies: bad ephemeral key prefix')
  const R = message.subarray(0, 65)
  let z: Uint8Array
  try {
    z = ecdhX(secretKey, R.subarray(1))
  } catch (cause) {
    throw new RlpxError('ErrHandshake', 'ecies: invalid ephemeral key', { cause })
  }
  const { kE, kM } = keys(z)
  const iv = message.subarray(65, 81)
  const c = message.subarray(81, message.length - 32)
  const d = message.subarray(message.length - 32)
  const want = hmac(sha256, kM, concatBytes(iv, c, sharedMacData))
  if (!equalBytes(want, d)) throw new RlpxError('ErrHandshake', 'ecies: tag mismatch')
  return ctr(kE, iv).decrypt(c)
}
