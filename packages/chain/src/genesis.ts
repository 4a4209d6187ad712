/** go-ethereum genesis.json: state root (secure MPT) and the genesis header for the forks active at time 0. */

import { createHash } from 'node:crypto'
import {
  BlockHeader,
  bigIntToBytes,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  hexToBytes,
  keccak256,
  rlpEncode,
  trieRoot,
} from '@ethwire/rlp-wire'
import { type ChainConfig, isCancun, isLondon, isPrague, isShanghai } from './config.js'
import { defaultGenesisGasLimit, initialBaseFeeWei } from './constants.js'
import { ChainError } from './errors.js'

export interface GenesisAccount {
  balance?: string
  nonce?: string
  code?: string
  storage?: Record<string, string>
}

/** The JSON shape go-ethereum reads (`geth init genesis.json`). */
export interface GenesisJson {
  config: ChainConfig
  nonce?: string
  timestamp?: string
  extraData?: string
  gasLimit?: string
  difficulty?: string
  mixHash?: string
  coinbase?: string
  number?: string
  gasUsed?: string
  parentHash?: string
  baseFeePerGas?: string | null
  excessBlobGas?: string | null
  blobGasUsed?: string | null
  alloc?: Record<string, GenesisAccount>
  /**
   * ethwire extension (go-ethereum has no such field): the genesis state root, for a
   * header-only genesis that ships no `alloc` (the network presets). With an `alloc` too, the
   * alloc's root must equal it.
   */
  stateRoot?: string
}

/** keccak256(rlp(empty bytes)) is the empty trie; keccak256('') is the empty code hash. */
export const EMPTY_CODE_HASH = keccak256(new Uint8Array(0))
/** go-ethereum's `types.EmptyRequestsHash`: sha256 of no requests. */
export const EMPTY_REQUESTS_HASH = new Uint8Array(createHash('sha256').digest())

const big = (s: string | number | undefined | null, dflt = 0n): bigint => {
  if (s === undefined || s === null || s === '') return dflt
  if (typeof s === 'number') return BigInt(s)
  return BigInt(s) // accepts 0x-hex and decimal strings
}
const evenHex = (s: string) => {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  return h.length % 2 ? `0${h}` : h
}
const bytes = (s: string | undefined, dflt = new Uint8Array(0)) =>
  s ? hexToBytes(evenHex(s)) : dflt
const fixed = (s: string | undefined, len: number): Uint8Array => {
  const out = new Uint8Array(len)
  if (!s) return out
  const b = bigIntToBytes(BigInt(s.startsWith('0x') ? s : `0x${s}`))
  if (b.length > len)
    throw new ChainError('ErrInvalidGenesis', `value ${s} longer than ${len} bytes`)
  out.set(b, len - b.length)
  return out
}

export interface GenesisState {
  stateRoot: Uint8Array
  /** Contract code by code hash (hex key), so it can be served by hash. */
  code: Map<string, Uint8Array>
}

/** State root of a genesis alloc: secure trie keccak(address) → rlp([nonce, balance, storageRoot, codeHash]). */
export function genesisState(alloc: Record<string, GenesisAccount> = {}): GenesisState {
  const code = new Map<string, Uint8Array>()
  const entries: [Uint8Array, Uint8Array][] = []
  for (const [addrHex, acc] of Object.entries(alloc)) {
    const address = fixed(addrHex, 20)
    const storage: [Uint8Array, Uint8Array][] = []
    for (const [k, v] of Object.entries(acc.storage ?? {})) {
      const value = big(v)
      if (value === 0n) continue
      storage.push([keccak256(fixed(k, 32)), rlpEncode(bigIntToBytes(value))])
    }
    const storageRoot = storage.length ? trieRoot(storage) : EMPTY_TRIE_ROOT
    const c = bytes(acc.code)
    const codeHash = c.length ? keccak256(c) : EMPTY_CODE_HASH
    if (c.length) code.set(Buffer.from(codeHash).toString('hex'), c)
    entries.push([
      keccak256(address),
      rlpEncode([big(acc.nonce), big(acc.balance), storageRoot, codeHash]),
    ])
  }
  return { stateRoot: entries.length ? trieRoot(entries) : EMPTY_TRIE_ROOT, code }
}

/**
 * The genesis state root: `g.stateRoot` for a header-only genesis, else the alloc's. Throws
 * `ErrInvalidGenesis` when both are given and differ.
 */
export function genesisStateRoot(g: GenesisJson, state?: GenesisState): Uint8Array {
  if (g.stateRoot !== undefined && g.alloc === undefined) return fixed(g.stateRoot, 32)
  const computed = (state ?? genesisState(g.alloc)).stateRoot
  if (g.stateRoot !== undefined) {
    const given = fixed(g.stateRoot, 32)
    if (!given.every((b, i) => b === computed[i]))
      throw new ChainError(
        'ErrInvalidGenesis',
        `stateRoot ${g.stateRoot} is not the alloc's state root`,
      )
  }
  return computed
}

/**
 * Whether `g` is a header-only genesis: a `stateRoot` and no `alloc` (the network presets). A chain
 * opened from it has the genesis header and hash but not the genesis state.
 */
export function isHeaderOnlyGenesis(g: GenesisJson): boolean {
  return g.stateRoot !== undefined && g.alloc === undefined
}

/** The genesis header go-ethereum's `Genesis.ToBlock` builds for this genesis.json. */
export function genesisHeader(g: GenesisJson, stateRoot = genesisStateRoot(g)): BlockHeader {
  const c = g.config ?? {}
  const number = big(g.number)
  const time = big(g.timestamp)
  let gasLimit = big(g.gasLimit)
  if (gasLimit === 0n) gasLimit = defaultGenesisGasLimit
  let difficulty: bigint
  if (g.difficulty !== undefined && g.difficulty !== null) difficulty = big(g.difficulty)
  else if (!c.ethash && !c.clique) difficulty = 0n
  else difficulty = 131072n
  const london = isLondon(c, number)
  return BlockHeader.fromData({
    parentHash: fixed(g.parentHash, 32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: fixed(g.coinbase, 20),
    stateRoot,
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty,
    number,
    gasLimit,
    gasUsed: big(g.gasUsed),
    time,
    extra: bytes(g.extraData),
    mixDigest: fixed(g.mixHash, 32),
    nonce: fixed(g.nonce, 8),
    baseFee: london ? big(g.baseFeePerGas, initialBaseFeeWei) : undefined,
    withdrawalsRoot: isShanghai(c, number, time) ? EMPTY_TRIE_ROOT : undefined,
    blobGasUsed: isCancun(c, number, time) ? big(g.blobGasUsed) : undefined,
    excessBlobGas: isCancun(c, number, time) ? big(g.excessBlobGas) : undefined,
    parentBeaconRoot: isCancun(c, number, time) ? new Uint8Array(32) : undefined,
    requestsHash: isPrague(c, number, time) ? EMPTY_REQUESTS_HASH : undefined,
  })
}

/** Parses genesis.json text (or an already-parsed object) and checks its basic shape. */
export function parseGenesis(input: string | GenesisJson): GenesisJson {
  let g: GenesisJson
  try {
    g = typeof input === 'string' ? (JSON.parse(input) as GenesisJson) : input
  } catch (e) {
    throw new ChainError('ErrInvalidGenesis', `not JSON: ${(e as Error).message}`)
  }
  if (typeof g !== 'object' || g === null || typeof g.config !== 'object' || g.config === null)
    throw new ChainError('ErrInvalidGenesis', 'genesis has no config object')
  return g
}
