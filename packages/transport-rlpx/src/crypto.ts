/**
 * The symmetric primitives of the frame layer behind one small interface, with two backends:
 *
 * - `fast` (default where available): AES from `node:crypto` (OpenSSL) and Keccak-256 from
 *   `@ethwire/keccak` (WebAssembly). Keccak is the bottleneck of RLPx framing (every byte sent and
 *   received goes through a MAC keccak); the WASM build is ~15x faster than pure JS here.
 * - `pure`: `@noble/ciphers` AES and `@noble/hashes` Keccak, for browsers / runtimes without
 *   `node:crypto` or WebAssembly. Same results, slower.
 *
 * `loadCryptoBackend('auto')` picks what works: node AES if `node:crypto` imports, and
 * `@ethwire/keccak`'s default keccak (WebAssembly, or noble where WebAssembly does not load).
 */

import { createKeccak, createKeccak256, keccakBackend } from '@ethwire/keccak'
import { unsafe as nobleAes, ctr as nobleCtr } from '@noble/ciphers/aes.js'

/** A running Keccak-256 state whose digest can be read without ending it. */
export interface KeccakState {
  update(data: Uint8Array): void
  /** The 32-byte digest of everything so far; the state goes on unchanged. */
  digest(): Uint8Array
}

/** AES-256 in ECB mode over single 16-byte blocks (the MAC's seed cipher). */
export interface BlockCipher {
  encryptBlock(block: Uint8Array): Uint8Array
}

/**
 * AES-CTR as a continuous keystream. Every call but the last must pass a multiple of 16 bytes
 * (RLPx frames are padded to 16, so this always holds).
 */
export interface StreamCipher {
  update(data: Uint8Array): Uint8Array
}

export interface CryptoBackend {
  readonly name: string
  keccak(): Promise<KeccakState>
  /** AES-CTR with a 16- or 32-byte key and a 16-byte initial counter block. */
  aesCtr(key: Uint8Array, iv: Uint8Array): StreamCipher
  aesEcb(key: Uint8Array): BlockCipher
}

export type CryptoBackendKind = 'auto' | 'pure'

const nobleKeccak = createKeccak({ backend: 'noble' })

function incrementCounter(counter: Uint8Array, blocks: number): void {
  let carry = blocks
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const v = counter[i]! + (carry % 256)
    counter[i] = v & 0xff
    carry = Math.floor(carry / 256) + (v >> 8)
  }
}

class NobleCtr implements StreamCipher {
  private readonly counter: Uint8Array
  constructor(
    private readonly key: Uint8Array,
    iv: Uint8Array,
  ) {
    this.counter = iv.slice()
  }
  update(data: Uint8Array): Uint8Array {
    const out = nobleCtr(this.key, this.counter).encrypt(data)
    incrementCounter(this.counter, Math.ceil(data.length / 16))
    return out
  }
}

class NobleEcb implements BlockCipher {
  private readonly xk: Uint32Array
  constructor(key: Uint8Array) {
    this.xk = nobleAes.expandKeyLE(key)
  }
  encryptBlock(block: Uint8Array): Uint8Array {
    // encryptBlock works in place on an aligned 16-byte block: give it a fresh copy.
    return nobleAes.encryptBlock(this.xk, block.slice())
  }
}

/** Pure JavaScript backend (`@noble/*`). */
export const pureCryptoBackend: CryptoBackend = {
  name: 'pure',
  keccak: async () => nobleKeccak.createKeccak256(),
  aesCtr: (key, iv) => new NobleCtr(key, iv),
  aesEcb: (key) => new NobleEcb(key),
}

type NodeCrypto = typeof import('node:crypto')

/** A zero-copy plain Uint8Array view of a Buffer (so callers never see Buffer semantics). */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

function nodeAes(nc: NodeCrypto): Pick<CryptoBackend, 'aesCtr' | 'aesEcb'> {
  return {
    aesCtr(key, iv) {
      const c = nc.createCipheriv(key.length === 16 ? 'aes-128-ctr' : 'aes-256-ctr', key, iv)
      return { update: (data) => plain(c.update(data)) }
    },
    aesEcb(key) {
      const c = nc.createCipheriv(key.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null)
      c.setAutoPadding(false)
      return { encryptBlock: (block) => plain(c.update(block)) }
    },
  }
}

let autoBackend: Promise<CryptoBackend> | undefined

async function loadAuto(): Promise<CryptoBackend> {
  let aes: Pick<CryptoBackend, 'aesCtr' | 'aesEcb'> = pureCryptoBackend
  let aesName = 'noble-aes'
  try {
    aes = nodeAes(await import('node:crypto'))
    aesName = 'node-aes'
  } catch {
    // no node:crypto (browser): keep the pure AES
  }
  // WebAssembly where it loads, else noble: @ethwire/keccak decides (synchronously) on first use.
  const keccakName = `${keccakBackend()}-keccak`
  const keccak = async (): Promise<KeccakState> => createKeccak256()
  return { name: `${aesName}+${keccakName}`, keccak, aesCtr: aes.aesCtr, aesEcb: aes.aesEcb }
}

/** The backend for `kind`; 'auto' is loaded once and cached. */
export function loadCryptoBackend(kind: CryptoBackendKind = 'auto'): Promise<CryptoBackend> {
  if (kind === 'pure') return Promise.resolve(pureCryptoBackend)
  autoBackend ??= loadAuto()
  return autoBackend
}
