/**
 * Receipts (fast sync): the oldest result slots still lacking theirs, from every idle peer that
 * serves `GetReceipts`. Each block's receipt list must hash to its header's receipts root; one
 * that does not drops the peer and returns the whole request to the queue. Blocks whose header
 * commits to no receipts are never asked for. With a {@link RootHasher} the roots are hashed through
 * it (say, on a worker thread) while the slots stay reserved.
 */
import { encodeReceipt, equalBytes, type ReceiptData, receiptsRoot } from '@ethwire/rlp-wire'
import { maxReceiptInflightPerPeer } from '../constants.js'
import type { PeerEntry, PeerRunState } from '../context.js'
import type { ResultSlot, ResultStore } from '../results.js'
import type { RootHasher } from '../types.js'
import type { FetchQueue, Verdict } from './loop.js'

export class ReceiptQueue implements FetchQueue<ResultSlot[], ReceiptData[][]> {
  readonly kind = 'receipts' as const
  /** Several at once: see {@link maxReceiptInflightPerPeer}. */
  readonly maxInflightPerPeer = maxReceiptInflightPerPeer

  constructor(
    private readonly results: ResultStore,
    readonly maxItems: number,
    private readonly hasher?: RootHasher,
  ) {}

  accepts(e: PeerEntry): boolean {
    return typeof e.peer.requestReceipts === 'function'
  }

  reserve(_e: PeerEntry, st: PeerRunState, capacity: number): ResultSlot[] | undefined {
    if (this.results.throttled('receipts')) return undefined
    const lacking = st.lacking.receipts
    const slots: ResultSlot[] = []
    for (const slot of this.results.slots) {
      if (slots.length >= capacity) break
      if (slot.receiptsState === 'pending' && !lacking.has(slot.header.number)) slots.push(slot)
    }
    if (slots.length === 0) return undefined
    for (const s of slots) s.receiptsState = 'fetching'
    this.results.inflightItems.receipts += slots.length
    return slots
  }

  items(slots: ResultSlot[]): number {
    return slots.length
  }

  send(e: PeerEntry, slots: ResultSlot[], signal: AbortSignal): Promise<ReceiptData[][]> {
    return e.peer.requestReceipts!(
      slots.map((s) => s.header.hash),
      signal,
    )
  }

  unreserve(slots: ResultSlot[]): void {
    this.results.inflightItems.receipts -= slots.length
    // Slots whose receipts stopped being needed meanwhile (pivot committed) stay done.
    for (const s of slots) if (s.receiptsState === 'fetching') s.receiptsState = 'pending'
  }

  async deliver(
    _e: PeerEntry,
    st: PeerRunState,
    slots: ResultSlot[],
    lists: ReceiptData[][],
  ): Promise<Verdict> {
    const hashed = await this.roots(slots, lists)
    const wanted = slots.map((s) => s.receiptsState === 'fetching')
    this.unreserve(slots)
    if (!Array.isArray(lists)) {
      return { kind: 'drop', code: 'ErrBadPeer', message: 'receipts: not a list' }
    }
    if (lists.length > slots.length) {
      return {
        kind: 'drop',
        code: 'ErrUnrequestedData',
        message: `${lists.length} receipt lists for ${slots.length} requested`,
      }
    }
    if (lists.length === 0) {
      this.results.noteLacking(st.lacking.receipts, slots)
      return { kind: 'empty' }
    }
    for (let i = 0; i < lists.length; i++) {
      if (!wanted[i]) continue
      const header = slots[i]!.header
      const list = lists[i]!
      let root: Uint8Array
      try {
        root = hashed?.[i] ?? receiptsRoot(list)
      } catch (err) {
        return {
          kind: 'drop',
          code: 'ErrInvalidReceipts',
          message: `receipts of #${header.number} cannot be encoded`,
          cause: err,
        }
      }
      if (!equalBytes(root, header.receiptRoot)) {
        return {
          kind: 'drop',
          code: 'ErrInvalidReceipts',
          message: `receipts of #${header.number} do not match its receipts root`,
        }
      }
    }
    for (let i = 0; i < lists.length; i++) {
      if (wanted[i]) this.results.setReceipts(slots[i]!, lists[i]!)
    }
    return { kind: 'accepted', items: lists.length }
  }

  /** The lists' roots from the hasher; undefined (hash inline) without one or on failure. */
  private async roots(
    slots: ResultSlot[],
    lists: ReceiptData[][],
  ): Promise<Uint8Array[] | undefined> {
    if (this.hasher === undefined || !Array.isArray(lists)) return undefined
    if (lists.length === 0 || lists.length > slots.length) return undefined
    try {
      const roots = await this.hasher.orderedTrieRoots(lists.map((l) => l.map(encodeReceipt)))
      return roots.length === lists.length ? roots : undefined
    } catch {
      return undefined
    }
  }
}
