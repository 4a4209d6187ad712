/**
 * Fast sync's pivot and its state (go-ethereum v1.8 `processFastSyncContent`): the pivot is the
 * target − `fsMinFullBlocks`; blocks up to it are stored with their receipts and without
 * execution, its state is downloaded by a trie-sync scheduler, and the blocks after it are
 * executed on that state.
 *
 * - The state download starts at once on the head's root (it shares most nodes with the
 *   pivot's) and switches to the pivot's root as soon as the pivot header is scheduled.
 * - While the state downloads the skeleton keeps asking for newer headers; when the newest
 *   scheduled header is more than `2 × fsMinFullBlocks` past the pivot, the pivot moves to
 *   newest − `fsMinFullBlocks` and the download restarts on the new root (what is stored stays).
 */
import { bytesToHex } from '@ethwire/rlp-wire'
import type { RunContext } from './context.js'
import type { ResultStore } from './results.js'
import type { StateSync, StateSyncFactory, StateSyncProgress } from './types.js'

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

export class FastSync {
  /** Number of the pivot block. */
  pivot: bigint
  /** The pivot block has been committed with its state: the rest is a full sync. */
  committed = false
  /** How often the pivot moved. */
  moves = 0
  private sync: StateSync | undefined
  /** The scheduler is being closed before the next one starts (the run is not stalled). */
  switching = false
  /** Nodes pulled by schedulers already closed (their progress is kept). */
  private pulledBefore = 0
  private last: StateSyncProgress = { pulled: 0, known: 0 }

  constructor(
    private readonly ctx: RunContext,
    private readonly factory: StateSyncFactory,
    pivot: bigint,
  ) {
    this.pivot = pivot
  }

  /** Start downloading the state of `root` (the head's, before the pivot header is known). */
  begin(root: Uint8Array): void {
    this.sync = this.factory(root)
    this.ctx.timeline.mark('stateStart')
    this.ctx.host.log?.debug('state sync started', { root: hexShort(root) })
  }

  /** The scheduler to take state work from (none while switching roots or after the commit). */
  current(): StateSync | undefined {
    return this.switching || this.committed ? undefined : this.sync
  }

  /**
   * Called on every scheduling round before the commit: move a stale pivot, and point the state
   * download at the pivot's root once its header is scheduled.
   */
  update(results: ResultStore): void {
    if (this.committed || this.switching) return
    const fsMin = BigInt(this.ctx.opts.fsMinFullBlocks)
    const newest = results.slots[results.slots.length - 1]?.header.number
    if (newest !== undefined && newest > this.pivot + 2n * fsMin) {
      const next = newest - fsMin
      this.ctx.host.log?.debug('pivot became stale, moving', { old: this.pivot, new: next })
      this.pivot = next
      this.moves++
    }
    const slot = results.slotAt(this.pivot)
    if (slot === undefined) return
    const root = slot.header.stateRoot
    if (this.sync !== undefined && same(this.sync.root, root)) return
    this.restart(root)
  }

  /** Whether the pivot's state is complete. */
  stateDone(pivotRoot: Uint8Array): boolean {
    return (
      !this.switching &&
      this.sync !== undefined &&
      same(this.sync.root, pivotRoot) &&
      this.sync.done()
    )
  }

  /** The pivot is committed: the state download is over. */
  markCommitted(): void {
    this.committed = true
    this.close()
  }

  /** `pulledStates` / `knownStates` over every root downloaded in this run. */
  progress(): StateSyncProgress {
    if (this.sync !== undefined) this.last = this.sync.progress()
    return {
      pulled: this.pulledBefore + this.last.pulled,
      known: this.pulledBefore + this.last.known,
    }
  }

  /** Close the current scheduler (the run ends, or the pivot is committed). */
  close(): void {
    const old = this.sync
    if (old === undefined) return
    this.retire(old)
    this.sync = undefined
    this.ctx.track(Promise.resolve(old.close()))
  }

  private retire(old: StateSync): void {
    const p = old.progress()
    this.pulledBefore += p.pulled
    this.last = { pulled: 0, known: 0 }
  }

  private restart(root: Uint8Array): void {
    this.ctx.timeline.mark('statePivotRoot')
    const old = this.sync
    this.ctx.host.log?.debug('state sync moves to the pivot root', {
      pivot: this.pivot,
      root: hexShort(root),
    })
    if (old === undefined) {
      this.begin(root)
      return
    }
    this.retire(old)
    this.sync = undefined
    this.switching = true
    this.ctx.track(
      Promise.resolve(old.close()).then(() => {
        this.switching = false
        if (this.ctx.error !== undefined || this.committed) return
        this.begin(root)
        this.ctx.pump()
      }),
    )
  }
}

function hexShort(b: Uint8Array): string {
  return bytesToHex(b).slice(2, 18)
}
