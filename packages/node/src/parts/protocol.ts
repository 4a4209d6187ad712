/**
 * The protocol part: the eth protocol manager over the chain part's chain and pool (serving
 * headers, bodies, receipts and node data, the syncer, the fetchers, the broadcasters). Peers reach
 * it through `handle(connection)`, called by the transports part.
 */
import { type Chain, terminalTotalDifficulty } from '@ethwire/chain'
import { forksFromGethConfig } from '@ethwire/handshake'
import type { Logger } from '@ethwire/interface'
import {
  createProtocolManager,
  type PmChain,
  type ProtocolManager,
  type SyncMode,
} from '@ethwire/protocol-manager'
import { type BlockHeader, SUPPORTED_VERSIONS } from '@ethwire/rlp-wire'
import { createStateSync } from '@ethwire/state'
import { defaultMinSyncPeers, defaultSyncIntervalMs } from '../constants.js'
import { NodeError } from '../errors.js'
import type { Part } from '../lifecycle.js'
import { createRootPool, type RootPool } from '../roots.js'
import type { ChainPart } from './chain.js'

export interface ProtocolPartOptions {
  maxPeers: number
  minSyncPeers?: number
  syncIntervalMs?: number
  /** Take transactions from peers from the start (a miner); otherwise after the first sync. */
  acceptTxs: boolean
  txAnnounce?: boolean
  /**
   * `--syncmode` (go-ethereum's names): `fast` downloads the blocks with their receipts and the
   * state of a pivot (head − 64) by GetNodeData from eth/63–66 peers, then executes the rest and
   * switches to `full` for good; `full` (the default) executes every block.
   */
  syncMode?: SyncMode
  /** The eth versions offered (to warn when `fast` is asked for and none of them is ≤ 66). */
  ethVersions?: () => readonly number[]
}

/** Whether `--syncmode fast` can work with these eth versions: GetNodeData is on eth/63–66 only. */
export function fastSyncVersionsOk(versions: readonly number[]): boolean {
  return versions.some((v) => v >= 63 && v <= 66)
}

export interface ProtocolPart extends Part {
  readonly pm: ProtocolManager
}

/**
 * The eth versions offered when `--eth` is not given: every supported one on a merged chain; on a
 * chain before the merge (clique, ethash) eth/69 is left out, because eth/69 has no block
 * announcements (NewBlock, NewBlockHashes) and blocks would only spread by periodic sync.
 */
export function defaultEthVersions(chain: Chain): number[] {
  const ttd = terminalTotalDifficulty(chain.config)
  const merged = ttd !== undefined && chain.currentTd() >= ttd
  return SUPPORTED_VERSIONS.filter((v) => merged || v < 69)
}

export function createProtocolPart(
  deps: { chain: ChainPart; log: Pick<Logger, 'info' | 'warn' | 'debug'> },
  options: ProtocolPartOptions,
): ProtocolPart {
  const { log } = deps
  let pm: ProtocolManager | undefined
  let roots: RootPool | undefined

  const start = async () => {
    const c = deps.chain.chain
    const forks = forksFromGethConfig(c.config as Record<string, unknown>)
    const pmChain: PmChain = {
      genesis: c.genesis,
      currentHeader: () => c.currentHeader(),
      getTd: (h) => c.getTd(h),
      hasBlock: (h) => c.hasBlock(h),
      getBlockByHash: (h) => c.getBlockByHash(h),
      insertChain: (blocks) => c.insertChain(blocks),
      getHeaderByHash: (h) => c.getHeaderByHash(h),
      getHeader: (h, n) => c.getHeader(h, n),
      getHeaderByNumber: (n) => c.getHeaderByNumber(n),
      getCanonicalHash: (n) => c.getCanonicalHash(n),
      getBody: (h) => c.getBody(h),
      getBodyRlp: (h) => c.getBodyRlp(h),
      // served from what execution stored: GetReceipts from the receipts the executor computed,
      // GetNodeData (eth/63–66) from the state trie nodes and code in the same database
      getReceipts: (h) => c.getReceipts(h),
      getNodeData: (h) => c.getNodeData(h),
      getNodeDataMany: (hs) => c.getNodeDataMany(hs),
    }
    const fast = options.syncMode === 'fast'
    const versions = options.ethVersions?.()
    if (fast && versions !== undefined && !fastSyncVersionsOk(versions)) {
      log.warn(
        'fast sync asked for, but no allowed eth version serves GetNodeData (eth/63–66): it will sync in full; add --eth 66',
        { eth: versions.join(',') },
      )
    }
    if (fast) {
      // fast sync's three chain methods, and the trie-sync scheduler over the chain's own LevelDB:
      // state nodes under their hash and code under 'c' ++ hash, as execution writes them, so
      // GetNodeData serves what was synced and a restart resumes from the stored subtrees
      pmChain.currentFastHeader = () => c.currentFastHeader()
      pmChain.insertReceiptChain = (blocks, receipts, signal, options) =>
        c.insertReceiptChain(blocks, receipts, signal, options)
      pmChain.commitFastSyncHead = (hash) => c.commitFastSyncHead(hash)
    }
    const db = c.db
    const st = deps.chain.state
    // bodies' and receipts' roots are hashed on a worker thread while the main thread goes on
    roots = createRootPool({
      onFailure: (err) =>
        log.warn('trie-root worker stopped: roots are hashed on the main thread', {
          error: err.message,
        }),
    })
    pm = createProtocolManager(
      {
        chain: pmChain,
        rootHasher: roots,
        ...(fast
          ? {
              stateSync: (root: Uint8Array) =>
                createStateSync(root, {
                  db,
                  write: async (ops) => {
                    await db.batch(ops)
                    st.written(ops)
                  },
                }),
            }
          : {}),
        txPool: deps.chain.txPool,
        verifyHeader: async (header: BlockHeader) => {
          const parent = await c.getHeader(header.parentHash, header.number - 1n)
          if (!parent)
            throw new NodeError('ErrNotRunning', `unknown parent of block ${header.number}`)
          const reader = {
            config: c.config,
            getHeader: (h: Uint8Array, n: bigint) => c.getHeader(h, n),
          }
          await c.engine.verifyHeader(reader, header, parent)
        },
        log: {
          debug: (m, ctx) => log.debug(m, ctx),
          info: (m, ctx) => log.info(m, ctx),
          warn: (m, ctx) => log.warn(m, ctx),
        },
      },
      {
        networkId: deps.chain.networkId,
        forkConfig: { genesisHash: c.genesis.hash, genesisTime: c.genesis.time, ...forks },
        maxPeers: options.maxPeers,
        minSyncPeers: options.minSyncPeers ?? defaultMinSyncPeers,
        syncIntervalMs: options.syncIntervalMs ?? defaultSyncIntervalMs,
        acceptTxs: options.acceptTxs,
        txAnnounce: options.txAnnounce ?? true,
        syncMode: fast ? 'fast' : 'full',
      },
    )
    const p = pm
    p.on('sync:done', ({ peerId, result }) => {
      // a fast sync's state counters (the downloader's progress of the run that just ended)
      const prog = result.mode === 'fast' ? p.parts.downloader.progress() : undefined
      log.info('Sync done', {
        peer: peerId,
        head: c.currentHeader().number,
        mode: result.mode,
        ...(prog
          ? { pivot: result.pivot, pulledStates: prog.pulledStates, knownStates: prog.knownStates }
          : {}),
      })
    })
    p.on('sync:failed', ({ peerId, error }) =>
      log.debug('Sync failed', { peer: peerId, err: error }),
    )
    p.on('peer:added', (info) =>
      log.info('Peer added', { id: info.id, version: info.version, transport: info.transport }),
    )
    p.on('peer:removed', (info) => log.info('Peer removed', { id: info.id, err: info.error }))
    // go-ethereum marks the initial sync done on any block-fetcher import too (a node that
    // follows by announcements and never needed a sync still starts taking transactions)
    p.on('block:imported', ({ source, number }) => {
      if (source !== 'fetcher' || p.acceptTxs) return
      p.setAcceptTxs(true)
      log.info('Imported an announced block, accepting transactions', { number })
    })
    p.start()
  }

  return {
    name: 'protocol manager',
    start,
    stop: async () => {
      await pm?.stop()
      await roots?.close()
    },
    get pm() {
      if (!pm) throw new NodeError('ErrNotRunning', 'pm: node not started')
      return pm
    },
  }
}
