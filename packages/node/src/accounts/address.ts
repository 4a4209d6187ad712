/** Address text helpers: parsing `0x…` input and EIP-55 mixed-case output. */
import { keccak256 } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'

/** A 20-byte address from `0x`-prefixed (or bare) hex, any case; undefined when it is not one. */
export function parseAddress(text: string): Uint8Array | undefined {
  const s = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text
  if (!/^[0-9a-fA-F]{40}$/.test(s)) return undefined
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

/** Lower-case hex of an address with `0x` (the key of every per-address map here). */
export function addressKey(address: Uint8Array): string {
  return bytesToHex(address).toLowerCase()
}

/** EIP-55 mixed-case checksum form: `0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826`. */
export function toChecksumAddress(address: Uint8Array): string {
  const lower = bytesToHex(address).slice(2).toLowerCase()
  const hash = keccak256(new TextEncoder().encode(lower))
  let out = '0x'
  for (let i = 0; i < lower.length; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!
  }
  return out
}
