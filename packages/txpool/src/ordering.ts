/**
 * Pending transactions in the order a block builder takes them (go-ethereum's
 * `TransactionsByPriceAndNonce`): each sender's transactions by nonce, senders interleaved by the
 * effective tip of their next transaction at the block's base fee (highest first; ties go to the
 * transaction that entered the pool first). `peek()` is the best remaining one, `shift()` moves to
 * that sender's next nonce, `pop()` drops the sender (its later nonces cannot run either).
 * `@ethwire/executor`'s `TxSource` is this shape.
 */
import type { Transaction } from '@ethwire/rlp-wire'
import { effectiveTipOf } from './validate.js'

export interface OrderedTx {
  readonly tx: Transaction
  readonly sender: Uint8Array
}

export interface PriceAndNonceSource<T extends OrderedTx = OrderedTx> {
  peek(): T | undefined
  shift(): void
  pop(): void
  /** How many senders are still in. */
  readonly senders: number
}

interface Head<T> {
  list: readonly T[]
  at: number
  tip: bigint
  time: number
}

export function byPriceAndNonce<T extends OrderedTx & { readonly addedAtMs?: number }>(
  pending: ReadonlyMap<string, readonly T[]>,
  baseFee: bigint | undefined,
): PriceAndNonceSource<T> {
  const tipOf = (t: T) => effectiveTipOf(t.tx, baseFee)
  const heap: Head<T>[] = []
  // Max-heap by tip, then by the earlier arrival.
  const better = (a: Head<T>, b: Head<T>) => a.tip > b.tip || (a.tip === b.tip && a.time < b.time)
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!better(heap[i]!, heap[p]!)) return
      ;[heap[i], heap[p]] = [heap[p]!, heap[i]!]
      i = p
    }
  }
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && better(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && better(heap[r]!, heap[m]!)) m = r
      if (m === i) return
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
  }
  const head = (list: readonly T[], at: number): Head<T> => {
    const t = list[at] as T
    return { list, at, tip: tipOf(t), time: t.addedAtMs ?? 0 }
  }
  for (const list of pending.values()) {
    // A transaction whose fee cap is below the base fee cannot be included: nor its followers.
    if (list.length === 0 || tipOf(list[0] as T) < 0n) continue
    heap.push(head(list, 0))
    up(heap.length - 1)
  }
  const removeTop = () => {
    const last = heap.pop() as Head<T>
    if (heap.length > 0) {
      heap[0] = last
      down(0)
    }
  }
  return {
    peek: () => (heap.length === 0 ? undefined : (heap[0]!.list[heap[0]!.at] as T)),
    shift() {
      const top = heap[0]
      if (top === undefined) return
      const at = top.at + 1
      if (at < top.list.length && tipOf(top.list[at] as T) >= 0n) {
        heap[0] = head(top.list, at)
        down(0)
      } else removeTop()
    },
    pop() {
      if (heap.length > 0) removeTop()
    },
    get senders() {
      return heap.length
    },
  }
}
