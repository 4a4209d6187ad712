/**
 * Bodies: the oldest result slots still lacking theirs, as many as the peer's measured
 * throughput allows, from every idle peer at once. Each body is checked against its header's
 * roots (`checkBody`); one bad body drops the peer and returns the whole request to the queue.
 * An empty answer marks those blocks as lacking at that peer. With a {@link RootHasher} the
 * transaction roots are hashed through it (say, on a worker thread) while the slots stay reserved.
 */
import { type BlockBody, checkBody } from '@ethwire/rlp-wire'
import { maxBodyInflightPerPeer } from '../constants.js'
import type { PeerEntry, PeerRunState } from '../context.js'
import type { ResultSlot, ResultStore } from '../results.js'
import type { RootHasher } from '../types.js'
import type { FetchQueue, Verdict } from './loop.js'

export class BodyQueue implements FetchQueue<ResultSlot[], BlockBody[]> {
  readonly kind = 'bodies' as const
  /** Several at once: see {@link maxBodyInflightPerPeer}. */
  readonly maxInflightPerPeer = maxBodyInflightPerPeer

  constructor(
    private readonly results: ResultStore,
    readonly maxItems: number,
    private readonly hasher?: RootHasher,
  ) {}

  reserve(_e: PeerEntry, st: PeerRunState, capacity: number): ResultSlot[] | undefined {
    if (this.results.throttled('bodies')) return undefined
    const lacking = st.lacking.bodies
    const slots: ResultSlot[] = []
    for (const slot of this.results.slots) {
      if (slots.length >= capacity) break
      if (slot.bodyState === 'pending' && !lacking.has(slot.header.number)) slots.push(slot)
    }
    if (slots.length === 0) return undefined
    for (const s of slots) s.bodyState = 'fetching'
    this.results.inflightItems.bodies += slots.length
    return slots
  }

  items(slots: ResultSlot[]): number {
    return slots.length
  }

  send(e: PeerEntry, slots: ResultSlot[], signal: AbortSignal): Promise<BlockBody[]> {
    return e.peer.requestBodies(
      slots.map((s) => s.header.hash),
      signal,
    )
  }

  unreserve(slots: ResultSlot[]): void {
    this.results.inflightItems.bodies -= slots.length
    for (const s of slots) s.bodyState = 'pending'
  }

  async deliver(
    _e: PeerEntry,
    st: PeerRunState,
    slots: ResultSlot[],
    bodies: BlockBody[],
  ): Promise<Verdict> {
    const txRoots = await this.txRoots(slots, bodies)
    // Back in the queue unless accepted below.
    this.unreserve(slots)
    if (!Array.isArray(bodies)) {
      return { kind: 'drop', code: 'ErrBadPeer', message: 'bodies: not a list' }
    }
    if (bodies.length > slots.length) {
      return {
        kind: 'drop',
        code: 'ErrUnrequestedData',
        message: `${bodies.length} bodies for ${slots.length} requested`,
      }
    }
    if (bodies.length === 0) {
      this.results.noteLacking(st.lacking.bodies, slots)
      return { kind: 'empty' }
    }
    for (let i = 0; i < bodies.length; i++) {
      const header = slots[i]!.header
      try {
        checkBody(header, bodies[i]!, txRoots?.[i])
      } catch (err) {
        return {
          kind: 'drop',
          code: 'ErrInvalidBody',
          message: `body of #${header.number} does not match its header`,
          cause: err,
        }
      }
    }
    for (let i = 0; i < bodies.length; i++) this.results.setBody(slots[i]!, bodies[i]!)
    return { kind: 'accepted', items: bodies.length }
  }

  /** The bodies' transaction roots from the hasher; undefined (hash inline) without one or on failure. */
  private async txRoots(
    slots: ResultSlot[],
    bodies: BlockBody[],
  ): Promise<Uint8Array[] | undefined> {
    if (this.hasher === undefined || !Array.isArray(bodies)) return undefined
    if (bodies.length === 0 || bodies.length > slots.length) return undefined
    try {
      const roots = await this.hasher.orderedTrieRoots(
        bodies.map((b) => b.transactions.map((t) => t.encode())),
      )
      return roots.length === bodies.length ? roots : undefined
    } catch {
      return undefined
    }
  }
}
