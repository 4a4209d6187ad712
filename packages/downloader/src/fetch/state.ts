/**
 * State (fast sync): hashes the trie-sync scheduler reports missing, from every idle peer that
 * serves `GetNodeData` (eth/63–66). The scheduler checks every node against its key; a delivery
 * it refuses (a node that hashes to no requested key) drops the peer. Requests made for a root
 * the downloader has moved away from (the pivot moved) are dropped on arrival.
 */

import { maxStateInflightPerPeer } from '../constants.js'
import type { PeerEntry } from '../context.js'
import type { StateSync } from '../types.js'
import type { FetchQueue, Verdict } from './loop.js'

export interface StateTask {
  sync: StateSync
  hashes: Uint8Array[]
}

export class StateQueue implements FetchQueue<StateTask, Uint8Array[]> {
  readonly kind = 'state' as const
  /**
   * Several GetNodeData requests per peer at once: one at a time leaves the link idle while the
   * peer reads its nodes and while we verify and store the answer (serial round trips were
   * most of a one-peer state download's time).
   */
  readonly maxInflightPerPeer: number

  /** @param current the scheduler of the root being downloaded now, if any */
  constructor(
    private readonly current: () => StateSync | undefined,
    readonly maxItems: number,
    /** Adds the ms spent in the scheduler's `deliver` (the run's timeline). */
    private readonly busy: (ms: number, bytes: number) => void = () => {},
    private readonly now: () => number = () => 0,
    maxInflightPerPeer = maxStateInflightPerPeer,
  ) {
    this.maxInflightPerPeer = maxInflightPerPeer
  }

  accepts(e: PeerEntry): boolean {
    return typeof e.peer.requestNodeData === 'function'
  }

  reserve(_e: PeerEntry, _st: unknown, capacity: number): StateTask | undefined {
    const sync = this.current()
    if (sync === undefined || sync.done()) return undefined
    const hashes = sync.missing(capacity)
    if (hashes.length === 0) return undefined
    return { sync, hashes }
  }

  items(task: StateTask): number {
    return task.hashes.length
  }

  send(e: PeerEntry, task: StateTask, signal: AbortSignal): Promise<Uint8Array[]> {
    return e.peer.requestNodeData!(task.hashes, signal)
  }

  unreserve(task: StateTask): void {
    if (task.sync === this.current()) task.sync.release(task.hashes)
  }

  async deliver(
    e: PeerEntry,
    _st: unknown,
    task: StateTask,
    nodes: Uint8Array[],
  ): Promise<Verdict> {
    const { sync, hashes } = task
    if (sync !== this.current()) return { kind: 'stale' }
    if (!Array.isArray(nodes) || nodes.some((n) => !(n instanceof Uint8Array))) {
      sync.release(hashes)
      return { kind: 'drop', code: 'ErrBadPeer', message: 'node data: not a list of byte strings' }
    }
    if (nodes.length > hashes.length) {
      sync.release(hashes)
      return {
        kind: 'drop',
        code: 'ErrUnrequestedData',
        message: `${nodes.length} state nodes for ${hashes.length} requested`,
      }
    }
    if (nodes.length === 0) {
      sync.release(hashes)
      return { kind: 'empty' }
    }
    const t0 = this.now()
    const r = await sync.deliver(e.peer.id, hashes, nodes)
    this.busy(
      this.now() - t0,
      nodes.reduce((n, x) => n + x.length, 0),
    )
    if (r.rejected !== undefined) {
      return {
        kind: 'drop',
        code: 'ErrInvalidState',
        message: `state nodes refused: ${r.rejected.message}`,
        cause: r.rejected,
      }
    }
    return { kind: 'accepted', items: nodes.length }
  }
}
