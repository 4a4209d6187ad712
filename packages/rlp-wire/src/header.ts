import { keccak256 } from './bytes.js'
import { WireError } from './errors.js'
import { asList, RlpCursor, type RlpInput, type RlpItem, rlpEncode } from './rlp.js'
import type { Bytes, HeaderData } from './types.js'

/**
 * A block header. Decoded headers keep the exact bytes they came from, so `hash` is one keccak
 * and `encode()` no work at all.
 */
export class BlockHeader implements HeaderData {
  readonly parentHash: Bytes
  readonly uncleHash: Bytes
  readonly coinbase: Bytes
  readonly stateRoot: Bytes
  readonly txRoot: Bytes
  readonly receiptRoot: Bytes
  readonly bloom: Bytes
  readonly difficulty: bigint
  readonly number: bigint
  readonly gasLimit: bigint
  readonly gasUsed: bigint
  readonly time: bigint
  readonly extra: Bytes
  readonly mixDigest: Bytes
  readonly nonce: Bytes
  readonly baseFee?: bigint
  readonly withdrawalsRoot?: Bytes
  readonly blobGasUsed?: bigint
  readonly excessBlobGas?: bigint
  readonly parentBeaconRoot?: Bytes
  readonly requestsHash?: Bytes
  readonly blockAccessListHash?: Bytes
  readonly slotNumber?: bigint
  #raw: Uint8Array | undefined
  #hash: Uint8Array | undefined

  private constructor(d: HeaderData, raw: Uint8Array | undefined) {
    this.parentHash = d.parentHash
    this.uncleHash = d.uncleHash
    this.coinbase = d.coinbase
    this.stateRoot = d.stateRoot
    this.txRoot = d.txRoot
    this.receiptRoot = d.receiptRoot
    this.bloom = d.bloom
    this.difficulty = d.difficulty
    this.number = d.number
    this.gasLimit = d.gasLimit
    this.gasUsed = d.gasUsed
    this.time = d.time
    this.extra = d.extra
    this.mixDigest = d.mixDigest
    this.nonce = d.nonce
    if (d.baseFee !== undefined) this.baseFee = d.baseFee
    if (d.withdrawalsRoot !== undefined) this.withdrawalsRoot = d.withdrawalsRoot
    if (d.blobGasUsed !== undefined) this.blobGasUsed = d.blobGasUsed
    if (d.excessBlobGas !== undefined) this.excessBlobGas = d.excessBlobGas
    if (d.parentBeaconRoot !== undefined) this.parentBeaconRoot = d.parentBeaconRoot
    if (d.requestsHash !== undefined) this.requestsHash = d.requestsHash
    if (d.blockAccessListHash !== undefined) this.blockAccessListHash = d.blockAccessListHash
    if (d.slotNumber !== undefined) this.slotNumber = d.slotNumber
    this.#raw = raw
  }

  /** Builds a header from plain data (optional fields must form a prefix of the fork order). */
  static fromData(d: HeaderData): BlockHeader {
    const tail = [
      d.baseFee,
      d.withdrawalsRoot,
      d.blobGasUsed,
      d.excessBlobGas,
      d.parentBeaconRoot,
      d.requestsHash,
      d.blockAccessListHash,
      d.slotNumber,
    ]
    let seenMissing = false
    for (const f of tail) {
      if (f === undefined) seenMissing = true
      else if (seenMissing)
        throw new WireError('ErrInvalidValue', 'header optional fields not a prefix')
    }
    return new BlockHeader(d, undefined)
  }

  /** Decodes one RLP-encoded header (strict); keeps `bytes` as its encoding. */
  static decode(bytes: Uint8Array): BlockHeader {
    const c = RlpCursor.of(bytes, 'header')
    const d: HeaderData = {
      parentHash: c.fixed('header.parentHash', 32),
      uncleHash: c.fixed('header.uncleHash', 32),
      coinbase: c.fixed('header.coinbase', 20),
      stateRoot: c.fixed('header.stateRoot', 32),
      txRoot: c.fixed('header.txRoot', 32),
      receiptRoot: c.fixed('header.receiptRoot', 32),
      bloom: c.fixed('header.bloom', 256),
      difficulty: c.uint('header.difficulty', 32),
      number: c.uint('header.number', 8),
      gasLimit: c.uint('header.gasLimit', 8),
      gasUsed: c.uint('header.gasUsed', 8),
      time: c.uint('header.time', 8),
      extra: c.bytes('header.extra'),
      mixDigest: c.fixed('header.mixDigest', 32),
      nonce: c.fixed('header.nonce', 8),
    }
    if (c.hasMore()) d.baseFee = c.uint('header.baseFee', 32)
    if (c.hasMore()) d.withdrawalsRoot = c.fixed('header.withdrawalsRoot', 32)
    if (c.hasMore()) d.blobGasUsed = c.uint('header.blobGasUsed', 8)
    if (c.hasMore()) d.excessBlobGas = c.uint('header.excessBlobGas', 8)
    if (c.hasMore()) d.parentBeaconRoot = c.fixed('header.parentBeaconRoot', 32)
    if (c.hasMore()) d.requestsHash = c.fixed('header.requestsHash', 32)
    if (c.hasMore()) d.blockAccessListHash = c.fixed('header.blockAccessListHash', 32)
    if (c.hasMore()) d.slotNumber = c.uint('header.slotNumber', 8)
    c.done()
    return new BlockHeader(d, bytes)
  }

  /** From a decoded RLP item; pass `raw` (its exact encoding) to skip re-encoding it. */
  static fromRlp(item: RlpItem, raw?: Uint8Array): BlockHeader {
    asList(item, 'header')
    return BlockHeader.decode(raw ?? rlpEncode(item))
  }

  /** The RLP fields in order (for embedding). */
  toRlpInput(): RlpInput[] {
    const out: RlpInput[] = [
      this.parentHash,
      this.uncleHash,
      this.coinbase,
      this.stateRoot,
      this.txRoot,
      this.receiptRoot,
      this.bloom,
      this.difficulty,
      this.number,
      this.gasLimit,
      this.gasUsed,
      this.time,
      this.extra,
      this.mixDigest,
      this.nonce,
    ]
    if (this.baseFee !== undefined) out.push(this.baseFee)
    if (this.withdrawalsRoot !== undefined) out.push(this.withdrawalsRoot)
    if (this.blobGasUsed !== undefined) out.push(this.blobGasUsed)
    if (this.excessBlobGas !== undefined) out.push(this.excessBlobGas)
    if (this.parentBeaconRoot !== undefined) out.push(this.parentBeaconRoot)
    if (this.requestsHash !== undefined) out.push(this.requestsHash)
    if (this.blockAccessListHash !== undefined) out.push(this.blockAccessListHash)
    if (this.slotNumber !== undefined) out.push(this.slotNumber)
    return out
  }

  /** The RLP encoding (cached; for decoded headers, the exact bytes decoded from). */
  encode(): Uint8Array {
    if (this.#raw === undefined) this.#raw = rlpEncode(this.toRlpInput())
    return this.#raw
  }

  /** keccak256 of the encoding, computed once. */
  get hash(): Uint8Array {
    if (this.#hash === undefined) this.#hash = keccak256(this.encode())
    return this.#hash
  }

  toData(): HeaderData {
    const d: HeaderData = {
      parentHash: this.parentHash,
      uncleHash: this.uncleHash,
      coinbase: this.coinbase,
      stateRoot: this.stateRoot,
      txRoot: this.txRoot,
      receiptRoot: this.receiptRoot,
      bloom: this.bloom,
      difficulty: this.difficulty,
      number: this.number,
      gasLimit: this.gasLimit,
      gasUsed: this.gasUsed,
      time: this.time,
      extra: this.extra,
      mixDigest: this.mixDigest,
      nonce: this.nonce,
    }
    if (this.baseFee !== undefined) d.baseFee = this.baseFee
    if (this.withdrawalsRoot !== undefined) d.withdrawalsRoot = this.withdrawalsRoot
    if (this.blobGasUsed !== undefined) d.blobGasUsed = this.blobGasUsed
    if (this.excessBlobGas !== undefined) d.excessBlobGas = this.excessBlobGas
    if (this.parentBeaconRoot !== undefined) d.parentBeaconRoot = this.parentBeaconRoot
    if (this.requestsHash !== undefined) d.requestsHash = this.requestsHash
    if (this.blockAccessListHash !== undefined) d.blockAccessListHash = this.blockAccessListHash
    if (this.slotNumber !== undefined) d.slotNumber = this.slotNumber
    return d
  }
}
