/**
 * Test doubles for @ethwire/txpool: a map-backed state reader, an in-memory chain with a state per
 * block (fits `PoolChain`), a signed-transaction factory and real blob sidecars.
 *
 * @example
 * ```ts
 * import { createMemoryChain, signTx, testAccount } from '@ethwire/txpool/testing'
 * const alice = testAccount(1)
 * const chain = createMemoryChain({ [hex(alice.address)]: { balance: 10n ** 18n } })
 * const pool = createTxPool({ chain }, { chainId: 1n })
 * await pool.start()
 * const b1 = chain.extend(chain.head, { transactions: [tx], state: { [hex(alice.address)]: { nonce: 1n } } })
 * chain.setHead(b1)
 * await pool.reset()
 * ```
 */
import { privateKeyToAddress, sign } from '@ethwire/crypto'
import {
  type BlobSidecar,
  Block,
  BlockHeader,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  Transaction,
  type TxData,
  transactionsRoot,
} from '@ethwire/rlp-wire'
import { blobVersionedHash } from './blob.js'
import { computeBlobProofs } from './kzg.js'
import type { PoolChain, StateReader } from './types.js'

export { createMemoryJournal } from './journal.js'

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

/** One account of a memory state. */
export interface MemoryAccount {
  nonce?: bigint
  balance?: bigint
  code?: Uint8Array
}

/** State from a map of '0x' address → { nonce, balance, code }; unknown accounts are empty. */
export function createMemoryState(
  accounts: Record<string, MemoryAccount> = {},
): Required<StateReader> & { set(addr: Uint8Array, v: MemoryAccount): void } {
  const m = new Map(Object.entries(accounts).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    getNonce: (a) => m.get(hex(a))?.nonce ?? 0n,
    getBalance: (a) => m.get(hex(a))?.balance ?? 0n,
    getCode: (a) => m.get(hex(a))?.code ?? new Uint8Array(0),
    set(a, v) {
      m.set(hex(a), { ...m.get(hex(a)), ...v })
    },
  }
}

/** What a new block of a {@link MemoryChain} looks like. */
export interface BlockSpec {
  transactions?: Transaction[]
  /** Accounts that change in this block (merged over the parent's state). */
  state?: Record<string, MemoryAccount>
  baseFee?: bigint
  gasLimit?: bigint
  gasUsed?: bigint
  /** Seconds after the parent (default 12). */
  timeStep?: bigint
  /** Makes a sibling differ from another block with the same parent. */
  salt?: number
}

/**
 * An in-memory chain for tests: blocks by hash, a head you set, and a state per block (its
 * `stateRoot` is a key into the stored states). Fits {@link PoolChain} structurally, as
 * `@ethwire/chain` with `@ethwire/state` will.
 */
export interface MemoryChain extends PoolChain {
  readonly genesis: Block
  readonly head: BlockHeader
  /** A child of `parent` (not made head). */
  extend(parent: BlockHeader, spec?: BlockSpec): Block
  /** Makes a stored block the head. */
  setHead(block: Block | BlockHeader): void
  /** The state at a block (for tests to inspect or change in place). */
  stateOf(block: Block | BlockHeader): ReturnType<typeof createMemoryState>
}

export function createMemoryChain(
  genesisState: Record<string, MemoryAccount> = {},
  genesisSpec: { baseFee?: bigint; gasLimit?: bigint; gasUsed?: bigint; time?: bigint } = {},
): MemoryChain {
  const blocks = new Map<string, Block>()
  const states = new Map<string, Record<string, MemoryAccount>>()
  let roots = 0
  const newRoot = () => {
    const r = new Uint8Array(32)
    r[0] = 0x5e
    new DataView(r.buffer).setUint32(28, ++roots)
    return r
  }
  const makeHeader = (fields: {
    parentHash: Uint8Array
    number: bigint
    time: bigint
    gasLimit: bigint
    gasUsed: bigint
    baseFee: bigint | undefined
    txs: Transaction[]
    root: Uint8Array
    salt: number
  }) =>
    BlockHeader.fromData({
      parentHash: fields.parentHash,
      uncleHash: EMPTY_UNCLE_HASH,
      coinbase: new Uint8Array(20),
      stateRoot: fields.root,
      txRoot: fields.txs.length === 0 ? EMPTY_TRIE_ROOT : transactionsRoot(fields.txs),
      receiptRoot: EMPTY_TRIE_ROOT,
      bloom: new Uint8Array(256),
      difficulty: 0n,
      number: fields.number,
      gasLimit: fields.gasLimit,
      gasUsed: fields.gasUsed,
      time: fields.time,
      extra: Uint8Array.of(fields.salt & 0xff, (fields.salt >> 8) & 0xff),
      mixDigest: new Uint8Array(32),
      nonce: new Uint8Array(8),
      ...(fields.baseFee === undefined ? {} : { baseFee: fields.baseFee }),
    })
  const norm = (s: Record<string, MemoryAccount>) =>
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k.toLowerCase(), v]))
  const groot = newRoot()
  states.set(hex(groot), norm(genesisState))
  const genesis = new Block(
    makeHeader({
      parentHash: new Uint8Array(32),
      number: 0n,
      time: genesisSpec.time ?? 0n,
      gasLimit: genesisSpec.gasLimit ?? 30_000_000n,
      gasUsed: genesisSpec.gasUsed ?? (genesisSpec.gasLimit ?? 30_000_000n) / 2n,
      baseFee: genesisSpec.baseFee,
      txs: [],
      root: groot,
      salt: 0,
    }),
    { transactions: [], uncles: [] },
  )
  blocks.set(hex(genesis.hash), genesis)
  let head = genesis.header
  const headerOf = (b: Block | BlockHeader) => (b instanceof Block ? b.header : b)

  const chain: MemoryChain = {
    genesis,
    get head() {
      return head
    },
    currentHeader: () => head,
    getBlockByHash: (h) => blocks.get(hex(h)),
    stateAt(root) {
      const s = states.get(hex(root))
      if (s === undefined) throw new Error(`no state at ${hex(root)}`)
      return createMemoryState(s)
    },
    extend(parent, spec = {}) {
      const txs = spec.transactions ?? []
      const root = newRoot()
      const parentState = states.get(hex(parent.stateRoot)) ?? {}
      const merged: Record<string, MemoryAccount> = { ...parentState }
      for (const [k, v] of Object.entries(norm(spec.state ?? {}))) {
        merged[k] = { ...merged[k], ...v }
      }
      states.set(hex(root), merged)
      const gasLimit = spec.gasLimit ?? parent.gasLimit
      const b = new Block(
        makeHeader({
          parentHash: parent.hash,
          number: parent.number + 1n,
          time: parent.time + (spec.timeStep ?? 12n),
          gasLimit,
          gasUsed: spec.gasUsed ?? gasLimit / 2n,
          baseFee: spec.baseFee ?? parent.baseFee,
          txs,
          root,
          salt: spec.salt ?? 0,
        }),
        { transactions: txs, uncles: [] },
      )
      blocks.set(hex(b.hash), b)
      return b
    },
    setHead(b) {
      const h = headerOf(b)
      if (!blocks.has(hex(h.hash))) throw new Error('unknown block')
      head = h
    },
    stateOf(b) {
      const s = states.get(hex(headerOf(b).stateRoot))
      if (s === undefined) throw new Error('no state')
      return createMemoryState(s)
    },
  }
  return chain
}

/** Signs transaction data with a private key (sets v, r, s; legacy uses EIP-155 when chainId is set). */
export function signTx(
  data: Omit<TxData, 'v' | 'r' | 's'>,
  key: Uint8Array,
  sidecar?: BlobSidecar,
): Transaction {
  const unsigned = Transaction.fromData({
    ...data,
    v: data.type === 0 ? 27n : 0n,
    r: 0n,
    s: 0n,
  } as TxData)
  const sig = sign(unsigned.sigHash(), key)
  let v = BigInt(sig.recovery)
  if (data.type === 0) v = data.chainId === undefined ? 27n + v : 35n + 2n * data.chainId + v
  return Transaction.fromData({ ...data, v, r: sig.r, s: sig.s } as TxData, sidecar)
}

/** A test key for index i and its address. */
export function testAccount(i: number): { key: Uint8Array; address: Uint8Array } {
  const key = new Uint8Array(32)
  key[0] = 0x42
  key[31] = (i + 1) & 0xff
  key[30] = ((i + 1) >> 8) & 0xff
  return { key, address: privateKeyToAddress(key) }
}

/** A blob (131072 bytes) whose 4096 field elements are small numbers derived from `seed`. */
export function testBlob(seed: number): Uint8Array {
  const b = new Uint8Array(131_072)
  for (let i = 0; i < 4096; i++) {
    const v = (i * 2654435761 + seed * 40503) >>> 0
    // big-endian field element < the BLS modulus: the top byte stays 0
    new DataView(b.buffer).setUint32(i * 32 + 28, v)
  }
  return b
}

/**
 * A real sidecar for `blobs` made with the pool's KZG library (commitments and proofs: one per
 * blob for version 0, 128 cell proofs per blob for version 1) and the versioned hashes that
 * match it. Slow (about 0.5 s per blob for version 0, a few seconds for version 1): cache it.
 */
export async function makeBlobSidecar(
  blobs: Uint8Array[],
  version: 0 | 1,
): Promise<{ sidecar: BlobSidecar; versionedHashes: Uint8Array[] }> {
  const commitments: Uint8Array[] = []
  const proofs: Uint8Array[] = []
  for (const blob of blobs) {
    const r = await computeBlobProofs(blob, version)
    commitments.push(r.commitment)
    proofs.push(...r.proofs)
  }
  return {
    sidecar: { version, blobs, commitments, proofs },
    versionedHashes: commitments.map(blobVersionedHash),
  }
}
