/**
 * The signing RPC methods' bodies: `eth_sign` / `personal_sign` (EIP-191 version 0x45, the
 * "Ethereum Signed Message" prefix), `eth_signTypedData_v4` (EIP-712), `personal_ecRecover`.
 * Signatures are 65 bytes r ‖ s ‖ v with v = 27 or 28, as go-ethereum returns them.
 */
import { keccak256, recoverAddress, type Signature } from '@ethwire/crypto'
import { concatBytes } from '@ethwire/rlp-wire'
import { AccountsError } from './errors.js'
import type { AccountManager, SignOptions } from './manager.js'
import { hashTypedData, parseTypedData, type TypedData } from './typed-data.js'

/** What the helpers need of the manager: signing a hash for an address. */
export type HashSigner = Pick<AccountManager, 'signHash'>

/** keccak256("\x19Ethereum Signed Message:\n" ‖ len(data) ‖ data): go-ethereum's `accounts.TextHash`. */
export function textHash(data: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${data.length}`)
  return keccak256(concatBytes(prefix, data))
}

/** r ‖ s ‖ (27 + recovery): 65 bytes. */
export function encodeSignature(sig: Signature): Uint8Array {
  const out = new Uint8Array(65)
  let r = sig.r
  let s = sig.s
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(r & 0xffn)
    out[32 + i] = Number(s & 0xffn)
    r >>= 8n
    s >>= 8n
  }
  out[64] = 27 + sig.recovery
  return out
}

/** The inverse of {@link encodeSignature}; v may be 27/28 or 0/1. */
export function decodeSignature(sig: Uint8Array): Signature {
  if (sig.length !== 65) {
    throw new AccountsError('ErrInvalidSignature', 'signature must be 65 bytes long')
  }
  let r = 0n
  let s = 0n
  for (let i = 0; i < 32; i++) {
    r = (r << 8n) | BigInt(sig[i]!)
    s = (s << 8n) | BigInt(sig[32 + i]!)
  }
  const v = sig[64]!
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) {
    throw new AccountsError('ErrInvalidSignature', 'invalid Ethereum signature (V is not 27 or 28)')
  }
  return { r, s, recovery }
}

/**
 * `eth_sign(address, data)` and `personal_sign(data, address[, password])`: signs
 * {@link textHash}(data). Without `options.password` the account must be unlocked.
 */
export async function signText(
  signer: HashSigner,
  address: Uint8Array,
  data: Uint8Array,
  options?: SignOptions,
): Promise<Uint8Array> {
  return encodeSignature(await signer.signHash(address, textHash(data), options))
}

/** `personal_ecRecover(data, signature)`: the address that made a {@link signText} signature. */
export function recoverTextSigner(data: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length === 65 && signature[64] !== 27 && signature[64] !== 28) {
    // go-ethereum accepts only the 27/28 form here
    throw new AccountsError('ErrInvalidSignature', 'invalid Ethereum signature (V is not 27 or 28)')
  }
  const { r, s, recovery } = decodeSignature(signature)
  return recoverAddress(textHash(data), r, s, recovery)
}

/**
 * `eth_signTypedData_v4(address, typedData)`: signs {@link hashTypedData}. `typedData` may be the
 * object or its JSON text (wallets send both).
 */
export async function signTypedData(
  signer: HashSigner,
  address: Uint8Array,
  typedData: TypedData | string | unknown,
  options?: SignOptions,
): Promise<Uint8Array> {
  const digest = hashTypedData(parseTypedData(typedData))
  return encodeSignature(await signer.signHash(address, digest, options))
}
