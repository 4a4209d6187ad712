/**
 * The broadcasters (go-ethereum's `eth/handler.go` `BroadcastBlock` / `BroadcastTransactions`
 * and `eth/protocols/eth/broadcast.go`):
 *
 * - blocks: with `propagate`, the whole block and its total difficulty to √n of the peers that
 *   lack it; otherwise its hash to every peer that lacks it. Peers on versions without block
 *   announcements (eth/69+, after the merge) get nothing;
 * - our block range: eth/69+ peers get a `BlockRangeUpdate` once our head moved far enough;
 * - transactions: new pending transactions of the pool, collected for a moment and handed to
 *   txsync, which sends them whole to √n peers and by hash to the rest (its policy).
 */
import type { Clock } from '@ethwire/interface'
import type { Peer, PeerSet } from '@ethwire/peerset'
import { type Block, bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { blockRangeUpdateIntervalBlocks } from './constants.js'
import { txOf } from './serve.js'
import type { Logger, PmChain, PmTxPool, PooledTx, RandomSource } from './types.js'

/** How many of `n` peers get a whole block: ⌊√n⌋, at least one when there is any peer. */
export function propagationCount(n: number): number {
  if (n <= 0) return 0
  return Math.max(1, Math.floor(Math.sqrt(n)))
}

/** Picks `k` distinct items at random (Fisher–Yates on a copy, with the injected source). */
export function pickRandom<T>(items: readonly T[], k: number, random: () => number): T[] {
  const copy = items.slice()
  const count = Math.min(k, copy.length)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (copy.length - i))
    const t = copy[i]!
    copy[i] = copy[j]!
    copy[j] = t
  }
  return copy.slice(0, count)
}

/**
 * Whether eth/`version` has block announcements (`NewBlock`, `NewBlockHashes`). From eth/69 on
 * they are gone: go-ethereum has no handler for them and drops a peer that sends one, so we never
 * send them either.
 */
export function hasBlockAnnouncements(version: number): boolean {
  return version < 69
}

// ------------------------------------------------------------------------------------------------
// Blocks

export interface BlockBroadcasterDeps {
  readonly chain: Pick<PmChain, 'getTd' | 'currentHeader' | 'earliestBlock'>
  readonly peers: PeerSet<Peer>
  readonly random: RandomSource
  readonly log: Logger
}

export interface BlockBroadcaster {
  /** See `ProtocolManager.broadcastBlock`. Broadcasts run one at a time, in call order. */
  broadcastBlock(block: Block, propagate: boolean): Promise<number>
  /**
   * Our head moved: tell eth/69+ peers our new block range once it moved
   * {@link blockRangeUpdateIntervalBlocks} blocks since the last update.
   */
  headChanged(): void
  /** Resolves when the broadcasts queued so far are done. */
  settled(): Promise<void>
}

export function createBlockBroadcaster(deps: BlockBroadcasterDeps): BlockBroadcaster {
  const { chain, peers, random, log } = deps
  let queue: Promise<unknown> = Promise.resolve()
  let lastRangeUpdate = chain.currentHeader().number

  const run = async (block: Block, propagate: boolean): Promise<number> => {
    const hash = block.hash
    const without = peers.peersWithoutBlock(hash).filter((p) => hasBlockAnnouncements(p.version))
    if (propagate) {
      const number = block.header.number
      const parentTd =
        number > 0n ? await chain.getTd(block.header.parentHash, number - 1n) : undefined
      if (parentTd === undefined) {
        log.warn('propagating dangling block: parent unknown', { number, hash: bytesToHex(hash) })
        return 0
      }
      const td = parentTd + block.header.difficulty
      // Peers may have learnt of the block while we looked up the TD.
      const lacking = without.filter((p) => !p.knowsBlock(hash) && !p.closed)
      const chosen = pickRandom(lacking, propagationCount(lacking.length), random)
      for (const p of chosen) p.queueNewBlock(block, td)
      log.debug('propagated block', { number, recipients: chosen.length })
      return chosen.length
    }
    const entry = { hash, number: block.header.number }
    for (const p of without) p.queueNewBlockHashes([entry])
    log.debug('announced block', { number: block.header.number, recipients: without.length })
    return without.length
  }

  return {
    broadcastBlock(block, propagate) {
      const p = queue.then(() => run(block, propagate))
      queue = p.catch(() => {})
      return p.catch((err) => {
        log.warn('broadcast failed', { error: String(err) })
        return 0
      })
    },
    headChanged() {
      const head = chain.currentHeader()
      if (head.number < lastRangeUpdate + blockRangeUpdateIntervalBlocks) return
      lastRangeUpdate = head.number
      const range = {
        earliestBlock: chain.earliestBlock?.() ?? 0n,
        latestBlock: head.number,
        latestBlockHash: head.hash,
      }
      for (const p of peers) if (p.version >= 69) p.queueBlockRangeUpdate(range)
    },
    async settled() {
      await queue
    },
  }
}

// ------------------------------------------------------------------------------------------------
// Transactions

export interface TxBroadcasterDeps {
  readonly txPool: PmTxPool | undefined
  /** txsync's broadcast: whole to √n peers that lack a transaction, by hash to the rest. */
  readonly broadcast: (txs: readonly Transaction[]) => unknown
  readonly clock: Clock
  /** Peers a broadcast goes over (sizes the chunks); default: chunks of {@link txBroadcastPairsPerTask}. */
  readonly peerCount?: () => number
}

export interface TxBroadcaster {
  /** Subscribes to the pool's new pending transactions. */
  start(): void
  /** Unsubscribes and drops what was collected; no timer left. */
  stop(): void
}

/**
 * (transaction, peer) pairs one broadcast task handles before it yields to the event loop. The
 * fan-out costs about one known-set lookup, one mark and a share of a message per pair: at 1,000
 * tx/s to 100 peers one unbroken broadcast of a second's worth held the loop for hundreds of
 * milliseconds, and every JSON-RPC answer waited behind it.
 */
export const txBroadcastPairsPerTask = 4096
/** The smallest chunk, however many peers (a message per peer carries at least this many). */
export const txBroadcastMinChunk = 16

/**
 * New pending transactions of the pool go to txsync, collected for `delayMs` first (one message
 * per peer instead of one per transaction); `delayMs` 0 hands each pool event on at once. A large
 * collection goes out in chunks of about {@link txBroadcastPairsPerTask} / peers transactions, one
 * chunk per event-loop task (a timer of 0 between them), in the pool's order.
 */
export function createTxBroadcaster(deps: TxBroadcasterDeps, delayMs: number): TxBroadcaster {
  let running = false
  let unsubscribe: (() => void) | undefined
  let batch: PooledTx[] = []
  let timer: unknown
  /** Chunks waiting for their task; `yieldTimer` is set while one is scheduled. */
  let chunks: Transaction[][] = []
  let yieldTimer: unknown
  const chunkSize = () => {
    const n = Math.max(1, deps.peerCount?.() ?? 1)
    return Math.max(txBroadcastMinChunk, Math.floor(txBroadcastPairsPerTask / n))
  }
  const next = () => {
    yieldTimer = undefined
    const c = chunks.shift()
    if (!running || c === undefined) return
    deps.broadcast(c)
    if (chunks.length > 0) yieldTimer = deps.clock.setTimeout(next, 0)
  }
  const hand = (txs: readonly PooledTx[]) => {
    if (!running || txs.length === 0) return
    const size = chunkSize()
    const all = txs.map(txOf)
    // a small one with nothing queued goes out at once, as before
    if (chunks.length === 0 && yieldTimer === undefined && all.length <= size) {
      deps.broadcast(all)
      return
    }
    for (let i = 0; i < all.length; i += size) chunks.push(all.slice(i, i + size))
    if (yieldTimer === undefined) next()
  }
  const flush = () => {
    timer = undefined
    const txs = batch
    batch = []
    hand(txs)
  }
  return {
    start() {
      if (running) return
      running = true
      const pool = deps.txPool
      if (pool?.onPending === undefined) return
      unsubscribe = pool.onPending((txs) => {
        if (!running) return
        if (delayMs <= 0) {
          hand(txs)
          return
        }
        for (const t of txs) batch.push(t)
        timer ??= deps.clock.setTimeout(flush, delayMs)
      })
    },
    stop() {
      running = false
      unsubscribe?.()
      unsubscribe = undefined
      if (timer !== undefined) deps.clock.clearTimeout(timer)
      timer = undefined
      if (yieldTimer !== undefined) deps.clock.clearTimeout(yieldTimer)
      yieldTimer = undefined
      batch = []
      chunks = []
    },
  }
}
