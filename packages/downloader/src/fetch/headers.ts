/**
 * Header gap fill: every idle peer fills one skeleton gap at a time, backwards from its skeleton
 * point by hash (`GetBlockHeaders(point, count, reverse)`). Every header returned is then proven
 * by hash links from a point we already trust, so a short answer is as good as a full one (the
 * rest stays a gap ending at its parent), and a peer on another fork simply has nothing.
 */
import type { BlockHeader } from '@ethwire/rlp-wire'
import { equalBytes } from '@ethwire/rlp-wire'
import { maxHeaderFillInflightPerPeer } from '../constants.js'
import type { PeerEntry, RunContext } from '../context.js'
import { checkHeaderRun, type HeaderBatch, type Skeleton } from '../skeleton.js'
import type { FetchQueue, Verdict } from './loop.js'

export class HeaderFillQueue implements FetchQueue<HeaderBatch, BlockHeader[]> {
  readonly kind = 'headers' as const
  readonly maxItems: number
  /**
   * Gaps are independent (each proven from its own skeleton point), so one peer fills several at
   * once: with one peer, serial fills were a fast sync's critical path (one round trip per 192
   * headers while the answers' processing and the peer's other replies queue in between).
   */
  readonly maxInflightPerPeer = maxHeaderFillInflightPerPeer

  constructor(
    private readonly ctx: RunContext,
    private readonly skeleton: Skeleton,
  ) {
    this.maxItems = ctx.opts.maxHeaderFetch
  }

  reserve(e: PeerEntry): HeaderBatch | undefined {
    const id = e.peer.id
    const b = this.skeleton.batches.find(
      (x) => x.headers === undefined && x.assigned === undefined && !x.misses.has(id),
    )
    if (b !== undefined) b.assigned = id
    return b
  }

  items(b: HeaderBatch): number {
    return b.count
  }

  send(e: PeerEntry, b: HeaderBatch, signal: AbortSignal): Promise<BlockHeader[]> {
    return e.peer.requestHeadersByHash(b.lastHash, b.count, 0, true, signal)
  }

  unreserve(b: HeaderBatch): void {
    b.assigned = undefined
  }

  deliver(e: PeerEntry, _st: unknown, b: HeaderBatch, reversed: BlockHeader[]): Verdict {
    const id = e.peer.id
    b.assigned = undefined // back in the queue unless accepted below
    if (!this.skeleton.batches.includes(b)) return { kind: 'stale' }
    if (!Array.isArray(reversed)) {
      return { kind: 'drop', code: 'ErrBadPeer', message: 'header fill: not a header list' }
    }
    if (reversed.length > b.count) {
      return {
        kind: 'drop',
        code: 'ErrUnrequestedData',
        message: `header fill: ${reversed.length} for ${b.count} requested`,
      }
    }
    if (reversed.length === 0) {
      if (id === b.source) {
        return {
          kind: 'drop',
          code: 'ErrBadPeer',
          message: 'it does not serve its own skeleton point',
        }
      }
      // It does not have that skeleton point (behind us, or on another fork).
      b.misses.add(id)
      return { kind: 'empty' }
    }
    if (!equalBytes(reversed[0]!.hash, b.lastHash)) {
      return {
        kind: 'drop',
        code: 'ErrBadPeer',
        message: 'header fill: first header is not the one asked for',
      }
    }
    const hs = reversed.slice().reverse()
    const start = b.from + BigInt(b.count - hs.length)
    const problem = checkHeaderRun(hs, start, undefined)
    if (problem !== undefined) {
      return { kind: 'drop', code: 'ErrBadPeer', message: `header fill: ${problem}` }
    }
    const first = hs[0]!
    if (hs.length === b.count) {
      if (!equalBytes(first.parentHash, b.parentHash)) {
        // The headers are the true ancestry of the skeleton point (hash links), and they do
        // not reach the previous point: the skeleton's author gave inconsistent points.
        const source = b.source
        return {
          kind: 'accepted',
          items: hs.length,
          after: () =>
            this.ctx.drop(source, 'ErrBadPeer', `skeleton points around #${b.from} do not link`),
        }
      }
    } else {
      // A linked suffix: keep it; what is below becomes a gap ending at its parent.
      const below: HeaderBatch = {
        from: b.from,
        count: b.count - hs.length,
        parentHash: b.parentHash,
        lastHash: first.parentHash,
        source: b.source,
        headers: undefined,
        filledBy: undefined,
        assigned: undefined,
        misses: new Set(),
      }
      b.from = start
      b.count = hs.length
      b.parentHash = first.parentHash
      const batches = this.skeleton.batches
      batches.splice(batches.indexOf(b), 0, below)
    }
    b.headers = hs
    b.filledBy = id
    return { kind: 'accepted', items: hs.length }
  }
}
