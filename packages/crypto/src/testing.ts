/**
 * Test helpers for @ethwire/crypto: deterministic keys and signatures.
 */
import { keccak256, privateKeyToAddress, type Signature, sign } from './recover.js'

/** A deterministic private key for test index `i` (1-based values, never zero). */
export function testPrivateKey(i: number): Uint8Array {
  const k = new Uint8Array(32)
  const v = i + 1
  k[28] = (v >>> 24) & 0xff
  k[29] = (v >>> 16) & 0xff
  k[30] = (v >>> 8) & 0xff
  k[31] = v & 0xff
  k[0] = 0x11
  return k
}

/** A signed random-looking message: hash, signature and the expected signer address. */
export function testSignature(i: number): Signature & { hash: Uint8Array; address: Uint8Array } {
  const key = testPrivateKey(i)
  const hash = keccak256(new TextEncoder().encode(`ethwire test message ${i}`))
  return { hash, ...sign(hash, key), address: privateKeyToAddress(key) }
}
