/**
 * The results store: one slot per scheduled header, in chain order, waiting for its parts (body,
 * and in fast sync its receipts) and then for import. Bounded in count (`maxPendingResults`:
 * header batches wait until there is room) and, softly, in memory (`maxPendingResultBytes`:
 * body and receipt requests stop while the parts waiting for import plus the estimate of the
 * requests in flight reach it). go-ethereum keeps the same thing in `queue.go`'s result cache.
 */
import {
  type BlockBody,
  type BlockHeader,
  EMPTY_TRIE_ROOT,
  equalBytes,
  type ReceiptData,
} from '@ethwire/rlp-wire'
import { emptyBodyFor, estimateBodySize, estimateReceiptsSize, hasEmptyBody } from './block.js'
import { initialBodySizeBytes, initialReceiptsSizeBytes } from './constants.js'

export type PartState = 'pending' | 'fetching' | 'done'

/** The parts fetched into result slots. */
export type PartKind = 'bodies' | 'receipts'

export interface ResultSlot {
  readonly header: BlockHeader
  body: BlockBody | undefined
  bodyState: PartState
  receipts: ReceiptData[] | undefined
  /** 'done' at once when receipts are not needed (full sync, empty receipts root). */
  receiptsState: PartState
  bodySize: number
  receiptsSize: number
  /** Peer whose skeleton defined the header (blamed when the chain rejects the block). */
  readonly source: string
}

export class ResultStore {
  readonly slots: ResultSlot[] = []
  /** Bytes of the parts downloaded and waiting for import. */
  bytes = 0
  /** Items in requests in flight, per part (for the memory bound). */
  readonly inflightItems: Record<PartKind, number> = { bodies: 0, receipts: 0 }
  private readonly measured: Record<PartKind, { bytes: number; count: number }> = {
    bodies: { bytes: 0, count: 0 },
    receipts: { bytes: 0, count: 0 },
  }

  constructor(
    private readonly maxSlots: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.slots.length
  }

  /** Whether `count` more slots fit (a batch always fits into an empty store). */
  hasRoom(count: number): boolean {
    return this.slots.length === 0 || this.slots.length + count <= this.maxSlots
  }

  /** Schedule headers (consecutive, after the last slot). Empty parts complete at once. */
  add(headers: readonly BlockHeader[], source: string, needReceipts: boolean): void {
    for (const header of headers) {
      const emptyBody = hasEmptyBody(header)
      const emptyReceipts = !needReceipts || equalBytes(header.receiptRoot, EMPTY_TRIE_ROOT)
      this.slots.push({
        header,
        body: emptyBody ? emptyBodyFor(header) : undefined,
        bodyState: emptyBody ? 'done' : 'pending',
        receipts: emptyReceipts ? [] : undefined,
        receiptsState: emptyReceipts ? 'done' : 'pending',
        bodySize: 0,
        receiptsSize: 0,
        source,
      })
    }
  }

  /** Number of the first slot, or undefined when empty. */
  firstNumber(): bigint | undefined {
    return this.slots[0]?.header.number
  }

  /** The slot of block `number`, if scheduled. */
  slotAt(number: bigint): ResultSlot | undefined {
    const first = this.slots[0]
    if (first === undefined) return undefined
    const i = Number(number - first.header.number)
    return i >= 0 && i < this.slots.length ? this.slots[i] : undefined
  }

  complete(slot: ResultSlot): boolean {
    return slot.bodyState === 'done' && slot.receiptsState === 'done'
  }

  /** How many slots from the front are complete, at most `max`. */
  completePrefix(max: number): number {
    let n = 0
    while (n < this.slots.length && n < max && this.complete(this.slots[n]!)) n++
    return n
  }

  /** Remove the first `n` slots (imported). */
  take(n: number): ResultSlot[] {
    const out = this.slots.splice(0, n)
    for (const s of out) this.bytes -= s.bodySize + s.receiptsSize
    return out
  }

  /** Average size of one item of a part, as measured (an estimate before the first). */
  avgSize(kind: PartKind): number {
    const m = this.measured[kind]
    if (m.count > 0) return m.bytes / m.count
    return kind === 'bodies' ? initialBodySizeBytes : initialReceiptsSizeBytes
  }

  /**
   * Whether new requests for `kind` wait: some are in flight, and the parts waiting for import
   * plus the estimate of everything in flight reach the memory bound. (With nothing in flight a
   * request always goes, so the bound is soft and the sync cannot stall on it.)
   */
  throttled(kind: PartKind): boolean {
    if (this.inflightItems[kind] === 0) return false
    const inflight =
      this.inflightItems.bodies * this.avgSize('bodies') +
      this.inflightItems.receipts * this.avgSize('receipts')
    return this.bytes + inflight >= this.maxBytes
  }

  setBody(slot: ResultSlot, body: BlockBody): void {
    slot.body = body
    slot.bodySize = estimateBodySize(body)
    slot.bodyState = 'done'
    this.bytes += slot.bodySize
    this.measured.bodies.bytes += slot.bodySize
    this.measured.bodies.count++
  }

  setReceipts(slot: ResultSlot, receipts: ReceiptData[]): void {
    slot.receipts = receipts
    slot.receiptsSize = estimateReceiptsSize(receipts)
    slot.receiptsState = 'done'
    this.bytes += slot.receiptsSize
    this.measured.receipts.bytes += slot.receiptsSize
    this.measured.receipts.count++
  }

  /** Receipts are not needed any more (the pivot is committed): free them, stop fetching them. */
  dropReceipts(): void {
    for (const s of this.slots) {
      this.bytes -= s.receiptsSize
      s.receiptsSize = 0
      s.receipts = []
      s.receiptsState = 'done'
    }
  }

  /**
   * Remember that a peer answered nothing for these blocks. The set is kept bounded: numbers
   * below the import window are of no use any more.
   */
  noteLacking(set: Set<bigint>, slots: readonly ResultSlot[]): void {
    if (set.size > 4 * this.maxSlots) {
      const low = this.firstNumber() ?? 0n
      for (const n of set) if (n < low) set.delete(n)
    }
    for (const s of slots) set.add(s.header.number)
  }
}
