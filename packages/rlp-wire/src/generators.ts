/**
 * Seeded generators of random valid values (headers of every fork shape, transactions of every
 * type, receipts, bodies, blocks and every eth message), for property tests here and in other
 * packages. Deterministic for a given seed; no test-framework dependency.
 */
import { Block, type BlockBody } from './block.js'
import { MsgCode, type MsgName } from './codes.js'
import { blobSizeBytes, cellMaskSizeBytes, cellSizeBytes } from './constants.js'
import { BlockHeader } from './header.js'
import { type EthMessage, versionHasCode } from './messages.js'
import { logsBloom } from './receipt.js'
import { rlpEncode } from './rlp.js'
import { Transaction } from './transaction.js'
import type { HeaderData, Log, ReceiptData, Status, TxData, TxType, Withdrawal } from './types.js'

/** A small seeded PRNG (xorshift32). */
export class Rand {
  #s: number
  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9
  }
  /** Uniform 32-bit unsigned. */
  u32(): number {
    let x = this.#s
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    this.#s = x
    return x
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.u32() % n
  }
  bool(): boolean {
    return (this.u32() & 1) === 1
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff
    return b
  }
  /** A random unsigned integer of at most `maxBytes` bytes, biased towards small and edge values. */
  uint(maxBytes: number): bigint {
    const k = this.int(8)
    if (k === 0) return 0n
    if (k === 1) return BigInt(this.int(128))
    if (k === 2) return (1n << BigInt(8 * maxBytes)) - 1n
    const len = 1 + this.int(maxBytes)
    let v = 0n
    for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(this.u32() & 0xff)
    return v
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
  array<T>(max: number, f: () => T): T[] {
    const n = this.int(max + 1)
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(f())
    return out
  }
}

/**
 * Header field counts of the fork shapes: frontier 15, London 16, Shanghai 17, Cancun 20,
 * Prague 21, Amsterdam 23 (and 19 as seen on devnets, 22 as a header with the access-list hash only).
 */
export const headerShapes = [15, 16, 17, 19, 20, 21, 22, 23] as const

export function genHeaderData(r: Rand, fields: number = r.pick(headerShapes)): HeaderData {
  const d: HeaderData = {
    parentHash: r.bytes(32),
    uncleHash: r.bytes(32),
    coinbase: r.bytes(20),
    stateRoot: r.bytes(32),
    txRoot: r.bytes(32),
    receiptRoot: r.bytes(32),
    bloom: r.bool() ? new Uint8Array(256) : r.bytes(256),
    difficulty: r.uint(32),
    number: r.uint(8),
    gasLimit: r.uint(8),
    gasUsed: r.uint(8),
    time: r.uint(8),
    extra: r.bytes(r.int(33)),
    mixDigest: r.bytes(32),
    nonce: r.bytes(8),
  }
  if (fields > 15) d.baseFee = r.uint(32)
  if (fields > 16) d.withdrawalsRoot = r.bytes(32)
  if (fields > 17) d.blobGasUsed = r.uint(8)
  if (fields > 18) d.excessBlobGas = r.uint(8)
  if (fields > 19) d.parentBeaconRoot = r.bytes(32)
  if (fields > 20) d.requestsHash = r.bytes(32)
  if (fields > 21) d.blockAccessListHash = r.bytes(32)
  if (fields > 22) d.slotNumber = r.uint(8)
  return d
}

export function genHeader(r: Rand, fields?: number): BlockHeader {
  return BlockHeader.fromData(genHeaderData(r, fields))
}

/** A random transaction of `type` (legacy: with or without EIP-155). Signature values are random, not valid. */
export function genTxData(r: Rand, type: TxType = r.int(5) as TxType): TxData {
  const base = {
    nonce: r.uint(8),
    gasLimit: r.uint(8),
    value: r.uint(32),
    data: r.bytes(r.int(80)),
    r: r.uint(32),
    s: r.uint(32),
  }
  const to = type >= 3 || r.int(4) > 0 ? r.bytes(20) : null
  if (type === 0) {
    const eip155 = r.bool()
    const chainId = r.uint(6)
    const v = eip155 ? 35n + 2n * chainId + BigInt(r.int(2)) : 27n + BigInt(r.int(2))
    return { type, ...base, to, gasPrice: r.uint(32), v, ...(eip155 ? { chainId } : {}) }
  }
  const accessList = r.array(2, () => ({
    address: r.bytes(20),
    storageKeys: r.array(2, () => r.bytes(32)),
  }))
  const common = { ...base, to, chainId: r.uint(32), accessList, v: BigInt(r.int(2)) }
  if (type === 1) return { type, ...common, gasPrice: r.uint(32) }
  const fees = { maxPriorityFeePerGas: r.uint(32), maxFeePerGas: r.uint(32) }
  if (type === 2) return { type, ...common, ...fees }
  if (type === 3) {
    return {
      type,
      ...common,
      ...fees,
      maxFeePerBlobGas: r.uint(32),
      blobVersionedHashes: r.array(3, () => r.bytes(32)),
    }
  }
  return {
    type,
    ...common,
    ...fees,
    authorizationList: r.array(2, () => ({
      chainId: r.uint(32),
      address: r.bytes(20),
      nonce: r.uint(8),
      yParity: BigInt(r.int(2)),
      r: r.uint(32),
      s: r.uint(32),
    })),
  }
}

export function genTransaction(r: Rand, type?: TxType): Transaction {
  return Transaction.fromData(genTxData(r, type))
}

/**
 * A type-3 transaction in the network form with a sidecar (version 0 or 1; at most one blob, as
 * blobs are 128 KiB). `elided`: eth/72's form, version 1 without the blobs (up to 3 blobs).
 */
export function genBlobTxWithSidecar(r: Rand, elided = false): Transaction {
  const d = genTxData(r, 3)
  const n = elided ? r.int(4) : r.int(2)
  d.blobVersionedHashes = Array.from({ length: n }, () => r.bytes(32))
  const version = elided ? 1 : r.int(2)
  return Transaction.fromData(d, {
    version,
    blobs: elided
      ? []
      : Array.from({ length: n }, () => new Uint8Array(blobSizeBytes).fill(r.int(256))),
    commitments: Array.from({ length: n }, () => r.bytes(48)),
    proofs: Array.from({ length: version === 0 ? n : n * 128 }, () => r.bytes(48)),
  })
}

export function genLog(r: Rand): Log {
  return { address: r.bytes(20), topics: r.array(4, () => r.bytes(32)), data: r.bytes(r.int(64)) }
}

/** A receipt; `withBloom` false gives the eth/69 shape (no bloom). */
export function genReceipt(r: Rand, withBloom = true): ReceiptData {
  const logs = r.array(3, () => genLog(r))
  const status = r.int(3)
  const rc: ReceiptData = {
    type: r.int(5) as TxType,
    postStateOrStatus:
      status === 0 ? new Uint8Array(0) : status === 1 ? Uint8Array.of(1) : r.bytes(32),
    cumulativeGasUsed: r.uint(8),
    logs,
  }
  if (withBloom) rc.bloom = logsBloom(logs)
  return rc
}

export function genWithdrawal(r: Rand): Withdrawal {
  return { index: r.uint(8), validatorIndex: r.uint(8), address: r.bytes(20), amount: r.uint(8) }
}

export function genBody(r: Rand, maxTxs = 4): BlockBody {
  const body: BlockBody = {
    transactions: r.array(maxTxs, () => genTransaction(r)),
    uncles: r.array(1, () => genHeader(r)),
  }
  if (r.bool()) body.withdrawals = r.array(3, () => genWithdrawal(r))
  return body
}

export function genBlock(r: Rand): Block {
  return new Block(genHeader(r), genBody(r))
}

/** A Status in the shape of eth/`version`. */
export function genStatus(r: Rand, version: number): Status {
  const forkId = { hash: r.bytes(4), next: r.uint(8) }
  if (version >= 69) {
    const earliest = r.uint(6)
    return {
      version,
      networkId: r.uint(8),
      genesis: r.bytes(32),
      forkId,
      earliestBlock: earliest,
      latestBlock: earliest + r.uint(6),
      latestBlockHash: r.bytes(32),
    }
  }
  const s = {
    version,
    networkId: r.uint(8),
    td: r.uint(32),
    head: r.bytes(32),
    genesis: r.bytes(32),
  }
  return version >= 64 ? { ...s, forkId } : s
}

/** Every message name eth/`version` has. */
export function messageNames(version: number): MsgName[] {
  return (Object.keys(MsgCode) as MsgName[]).filter((n) => versionHasCode(version, MsgCode[n]))
}

/** A random valid message of `name` for eth/`version` (request ids on eth/66+). */
export function genMessage(r: Rand, version: number, name: MsgName): EthMessage {
  const id = version >= 66 ? { requestId: r.uint(8) } : {}
  const hashes = () => r.array(4, () => r.bytes(32))
  switch (name) {
    case 'Status':
      return { name, status: genStatus(r, version) }
    case 'NewBlockHashes':
      return { name, entries: r.array(3, () => ({ hash: r.bytes(32), number: r.uint(8) })) }
    case 'Transactions':
      return { name, txs: r.array(4, () => genTransaction(r)) }
    case 'GetBlockHeaders':
      return {
        name,
        ...id,
        request: {
          origin: r.bool() ? { hash: r.bytes(32) } : { number: r.uint(8) },
          amount: r.uint(8),
          skip: r.uint(8),
          reverse: r.bool(),
        },
      }
    case 'BlockHeaders':
      return { name, ...id, headers: r.array(3, () => genHeader(r)) }
    case 'GetBlockBodies':
    case 'GetPooledTransactions':
    case 'GetNodeData':
    case 'GetBlockAccessLists':
      return { name, ...id, hashes: hashes() }
    case 'GetReceipts':
      return version >= 70
        ? { name, ...id, hashes: hashes(), firstBlockReceiptIndex: r.uint(3) }
        : { name, ...id, hashes: hashes() }
    case 'BlockBodies':
      return { name, ...id, bodies: r.array(2, () => genBody(r)) }
    case 'NewBlock':
      return { name, block: genBlock(r), td: r.uint(32) }
    case 'NewPooledTransactionHashes': {
      const hs = hashes()
      if (version < 68) return { name, hashes: hs }
      const types = hs.map(() => r.int(5))
      const sizes = hs.map(() => Number(r.uint(4)))
      if (version < 72) return { name, hashes: hs, types, sizes }
      return { name, hashes: hs, types, sizes, cellMask: genCellMask(r) }
    }
    case 'PooledTransactions': {
      const txs = r.array(3, () => genTransaction(r))
      if (r.int(4) === 0) txs.push(genBlobTxWithSidecar(r, version >= 72))
      return { name, ...id, txs }
    }
    case 'NodeData':
      return { name, ...id, data: r.array(3, () => r.bytes(r.int(100))) }
    case 'Receipts': {
      const receipts = r.array(2, () => r.array(3, () => genReceipt(r, version < 69)))
      if (version < 70) return { name, ...id, receipts }
      return { name, ...id, receipts, lastBlockIncomplete: receipts.length > 0 && r.bool() }
    }
    case 'BlockAccessLists':
      return {
        name,
        ...id,
        accessLists: r.array(3, () =>
          r.bool() ? null : rlpEncode([[r.bytes(20), [], [r.bytes(32)], [], [], []]]),
        ),
      }
    case 'GetCells':
      return { name, ...id, hashes: hashes(), cellMask: genCellMask(r) }
    case 'Cells': {
      const cellMask = genCellMask(r)
      let k = 0
      for (const b of cellMask) for (let x = b; x !== 0; x &= x - 1) k++
      const hs = k === 0 ? [] : r.array(2, () => r.bytes(32))
      const cells = hs.map(() =>
        Array.from({ length: k * (1 + r.int(2)) }, () =>
          new Uint8Array(cellSizeBytes).fill(r.int(256)),
        ),
      )
      return { name, ...id, hashes: hs, cells, cellMask }
    }
    case 'BlockRangeUpdate': {
      const earliest = r.uint(6)
      return {
        name,
        range: {
          earliestBlock: earliest,
          latestBlock: earliest + r.uint(6),
          latestBlockHash: r.bytes(32),
        },
      }
    }
  }
}

/** A 16-byte eth/72 cell mask with a few random bits set (sometimes none). */
export function genCellMask(r: Rand): Uint8Array {
  const m = new Uint8Array(cellMaskSizeBytes)
  const n = r.int(4)
  for (let i = 0; i < n; i++) {
    const bit = r.int(128)
    m[bit >> 3]! |= 1 << (bit & 7)
  }
  return m
}
