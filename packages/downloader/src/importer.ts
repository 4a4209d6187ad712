/**
 * Import, concurrently with the fetching: the complete prefix of the results store, up to
 * `maxImportBatch` blocks at a time. In a full sync (and after the pivot in a fast sync) it goes
 * to `insertChain`; in a fast sync the blocks before the pivot go to `insertReceiptChain` (stored
 * with their receipts, not executed), and the pivot itself waits for its state, then is stored
 * and committed as the head (`commitFastSyncHead`).
 */
import type { Block } from '@ethwire/rlp-wire'
import { makeBlock } from './block.js'
import type { RunContext } from './context.js'
import { DownloaderError } from './errors.js'
import type { FastSync } from './pivot.js'
import type { ResultSlot, ResultStore } from './results.js'

/** What the importer needs from the run. */
export interface ImportRun extends RunContext {
  readonly results: ResultStore
  /** Present in a fast sync. */
  readonly fast: FastSync | undefined
  /** Blocks newly imported or stored. */
  imported: number
  /** Progress: our head (the fast head before the pivot is committed). */
  currentBlock: bigint
  /** The chain rejected a block that came from this peer's skeleton: drop it, end the run. */
  rejectChain(source: string, error: DownloaderError): void
}

export class Importer {
  /** An import is in progress. */
  importing = false

  constructor(private readonly run: ImportRun) {}

  /** Start the next import if one can go. Never throws. */
  maybeImport(): void {
    const { run } = this
    if (this.importing || run.error !== undefined) return
    const n = run.results.completePrefix(run.opts.maxImportBatch)
    if (n === 0) return
    const fast = run.fast
    if (fast === undefined || fast.committed) {
      this.start('execute', n)
      return
    }
    const first = run.results.slots[0]!
    const below = fast.pivot - first.header.number
    if (below > 0n) {
      this.start('store', below < BigInt(n) ? Number(below) : n)
    } else if (below === 0n) {
      run.timeline.mark('belowPivotStored')
      if (fast.stateDone(first.header.stateRoot)) this.start('pivot', 1)
      else run.timeline.mark('pivotWait')
    } else {
      run.fail(
        new DownloaderError(
          'ErrInvalidChain',
          `internal failure: block #${first.header.number} scheduled past the pivot #${fast.pivot} before its commit`,
        ),
      )
    }
  }

  private start(how: 'execute' | 'store' | 'pivot', n: number): void {
    const { run } = this
    const slots = run.results.slots.slice(0, n)
    let blocks: Block[]
    try {
      blocks = slots.map((s) => makeBlock(s.header, s.body!))
    } catch (err) {
      run.fail(
        new DownloaderError('ErrInvalidChain', `cannot assemble block: ${String(err)}`, {
          cause: err,
        }),
      )
      return
    }
    this.importing = true
    run.track(this.insert(how, slots, blocks))
  }

  /**
   * Which stored blocks get their seal checked (go-ethereum v1.8's header import in fast sync):
   * all of them when the batch ends within `fsHeaderForceVerify` of the pivot; otherwise one at a
   * random position in each run of `fsHeaderCheckFrequency`, and always the last. Every block's
   * other header rules and its link to its parent are checked regardless, so a bad seal below the
   * pivot at an unchecked position is accepted, as go-ethereum accepts it: a later checked header
   * of an authorised signer commits to it through the parent hashes.
   */
  private sealSample(blocks: readonly Block[]): boolean[] {
    const { opts, random } = this.run.host
    const n = blocks.length
    const pivot = this.run.fast?.pivot
    const last = blocks[n - 1]!.header.number
    const freq = Math.floor(opts.fsHeaderCheckFrequency)
    if (pivot === undefined || freq <= 1 || last + BigInt(opts.fsHeaderForceVerify) > pivot)
      return new Array<boolean>(n).fill(true)
    return sealPositions(n, freq, random)
  }

  /** Number of our head: the fast head while blocks are stored without state. */
  private async head(how: 'execute' | 'store' | 'pivot'): Promise<bigint> {
    const { chain } = this.run.host
    if (how === 'store')
      return ((await chain.currentFastBlock?.()) ?? (await chain.currentBlock())).number
    return (await chain.currentBlock()).number
  }

  private async insert(
    how: 'execute' | 'store' | 'pivot',
    slots: ResultSlot[],
    blocks: Block[],
  ): Promise<void> {
    const { run } = this
    const { chain } = run.host
    const n = slots.length
    const tl = run.timeline
    let count: number
    const t0 = tl.elapsed()
    try {
      if (how === 'execute') count = await chain.insertChain(blocks)
      else {
        count = await chain.insertReceiptChain!(
          blocks,
          slots.map((s) => s.receipts ?? []),
          { seals: this.sealSample(blocks), rootsChecked: true },
        )
      }
    } catch (err) {
      // Part of the batch may be in: progress follows the chain's head, not our batch.
      run.currentBlock = await this.head(how).catch(() => run.currentBlock)
      this.importing = false
      if (isLocalFailure(err)) {
        // Our database or state failed, not the peer's block: end the run, drop nobody.
        run.fail(
          new DownloaderError('ErrLocalChain', `local chain failed to import: ${String(err)}`, {
            cause: err,
          }),
        )
        return
      }
      const index = rejectedIndex(err)
      const bad = index === undefined ? undefined : slots[index]
      const source = bad?.source ?? slots[0]!.source
      const at = bad === undefined ? '' : ` at #${bad.header.number}`
      const what = how === 'pivot' ? 'rejected the pivot block' : 'rejected a block'
      // The headers came from the master's skeleton: its chain is invalid.
      run.rejectChain(
        source,
        new DownloaderError('ErrInvalidChain', `chain ${what}${at}: ${String(err)}`, {
          cause: err,
          peerId: source,
        }),
      )
      return
    }
    if (how === 'execute') {
      tl.busy.execute += tl.elapsed() - t0
      tl.blocks.executed += n
    } else {
      tl.busy.store += tl.elapsed() - t0
      tl.blocks.stored += n
    }
    tl.mark('firstImport')
    if (how === 'pivot') {
      tl.mark('stateDone')
      const c0 = tl.elapsed()
      // The scheduler said the state is complete; a chain that disagrees is a local failure,
      // not a peer's fault: end the run without blaming anyone.
      try {
        await chain.commitFastSyncHead!(blocks[0]!.hash, blocks[0]!.header.number)
      } catch (err) {
        this.importing = false
        run.fail(
          new DownloaderError(
            'ErrInvalidChain',
            `chain refused to commit the pivot #${blocks[0]!.header.number}: ${String(err)}`,
            { cause: err },
          ),
        )
        return
      }
      tl.busy.commit += tl.elapsed() - c0
      tl.mark('committed')
    }
    run.imported += typeof count === 'number' ? count : n
    const last = slots[n - 1]!.header
    // Our head as the chain has it (a side chain imported does not move it), not the batch's top.
    run.currentBlock = await this.head(how)
    this.importing = false
    if (run.error !== undefined) return
    run.results.take(n)
    if (how === 'pivot') {
      run.fast!.markCommitted()
      run.results.dropReceipts()
    }
    if (how === 'execute') run.host.onImported(last.number, n)
    else run.host.onStored(last.number, n)
    if (how === 'pivot') run.host.onPivotCommitted(last.number, last.hash)
    run.pump()
  }
}

/** The `index` of the block an `insertChain` rejection names (see `DownloaderChain`), if any. */
function rejectedIndex(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const index = (err as { index?: unknown }).index
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 ? index : undefined
}

/** Whether a chain's rejection says the failure is its own (`local: true`), not the block's. */
function isLocalFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { local?: unknown }).local === true
}

/** geth's `ValidateHeaderChain` sample: one random position per `freq` headers, and the last. */
export function sealPositions(n: number, freq: number, random: () => number): boolean[] {
  const seals = new Array<boolean>(n).fill(false)
  for (let i = 0; i < Math.floor(n / freq); i++) {
    seals[i * freq + Math.min(freq - 1, Math.floor(random() * freq))] = true
  }
  if (n > 0) seals[n - 1] = true
  return seals
}
