/**
 * The composition root: chain + txpool + protocol manager + both transports + JSON-RPC + the dev
 * sealer, with one lifecycle (`start()` / `stop()`).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  buildEmptyBlock,
  type Chain,
  type GenesisJson,
  terminalTotalDifficulty,
} from '@ethwire/chain'
import { createRecoveryPool, loadRecoverer, type RecoveryPool } from '@ethwire/crypto'
import { forksFromGethConfig } from '@ethwire/handshake'
import { createProtocolManager, type ProtocolManager } from '@ethwire/protocol-manager'
import {
  type Block,
  type BlockHeader,
  bytesToHex,
  DisconnectReason,
  type EthConnection,
  SUPPORTED_VERSIONS,
  type Transaction,
} from '@ethwire/rlp-wire'
import { createLibp2pTransport, type Libp2pTransport } from '@ethwire/transport-libp2p'
import {
  createRlpxTransport,
  loadOrCreateNodeKey,
  parseEnode,
  type RlpxTransport,
} from '@ethwire/transport-rlpx'
import { createFileJournal, createTxPool, type TxPool } from '@ethwire/txpool'
import {
  defaultDevPeriodSeconds,
  defaultListenHost,
  defaultMaxPeers,
  defaultMinSyncPeers,
  defaultRecoveryWorkers,
  defaultSyncIntervalMs,
  dialTimeoutMs,
  logIntervalMs,
  minedTxIndexEntries,
  minedTxStartupBlocks,
  redialInitialMs,
  redialMaxMs,
  redialResetAfterMs,
  txJournalFileName,
} from './constants.js'
import { openDatadirChain, prepareDev } from './datadir.js'
import { NodeError } from './errors.js'
import { createLogger, type Logger } from './log.js'
import { type RpcServer, startRpcServer } from './rpc.js'
import { createRpcMethods } from './rpc-api.js'
import { clientId } from './version.js'

export interface NodeConfig {
  /** Data directory (created if missing). */
  datadir: string
  /** Network id; default the genesis chain id. */
  networkId?: bigint
  /** Listen address of both transports (default 127.0.0.1). */
  listenHost?: string
  /** Address put into our enode URL (`--nat extip:<ip>`); default the listen address. */
  externalIp?: string
  /** libp2p TCP port (0 = any free port). Default 0. */
  port?: number
  /** RLPx TCP port; RLPx listening is off when undefined (enode dials still work). */
  rlpxPort?: number
  /** JSON-RPC over HTTP; off when undefined. */
  http?: { host?: string; port?: number }
  /** libp2p multiaddrs and/or enode URLs to dial at start and redial when they drop. */
  bootnodes?: string[]
  maxPeers?: number
  /** Dev mode: clique dev genesis + signer key in the datadir, sealing every `periodSeconds`. */
  dev?: { periodSeconds?: number }
  fakePow?: boolean
  syncIntervalMs?: number
  minSyncPeers?: number
  /** Allowed eth versions on both transports (default: all rlp-wire supports). */
  ethVersions?: number[]
  txAnnounce?: boolean
  /** Logger (default: info level to stderr); or a verbosity 0..5. */
  logger?: Logger
  verbosity?: number
  /** Pool limits (default: @ethwire/txpool's, 6144 in all and 80 per remote sender). */
  txPool?: { globalSlots?: number; accountSlots?: number }
  /** Worker threads recovering senders of transactions from peers (default 1). */
  recoveryWorkers?: number
  /** Status log line interval; 0 turns it off. */
  logIntervalMs?: number
}

export interface PeerAddResult {
  transport: 'libp2p' | 'rlpx'
  remoteId: string
}

export interface EthwireNode {
  start(): Promise<void>
  /** Stops sealer, RPC, protocol manager, transports, pool; closes the database. Idempotent. */
  stop(): Promise<void>
  readonly running: boolean
  /** `http://host:port` of the JSON-RPC server (after `start()`, when enabled). */
  readonly rpcUrl: string | undefined
  /** libp2p multiaddrs to dial this node at (after `start()`). */
  readonly multiaddrs: string[]
  /** Our enode URL when RLPx listens. */
  readonly enode: string | undefined
  readonly chain: Chain
  readonly txPool: TxPool
  readonly pm: ProtocolManager
  readonly libp2p: Libp2pTransport
  readonly rlpx: RlpxTransport | undefined
  readonly config: Required<Pick<NodeConfig, 'datadir' | 'maxPeers'>> & NodeConfig
  readonly networkId: bigint
  readonly log: Logger
  /** Dials a peer now (multiaddr or enode URL) and keeps redialing it when it drops. */
  addPeer(address: string): Promise<PeerAddResult>
  /** Seals one dev block now (dev mode only), inserts and announces it. */
  sealBlock(): Promise<Block>
  /** Looks up a mined transaction seen since start (canonical blocks). */
  findMinedTx(
    hashHex: string,
  ): Promise<{ tx: Transaction; block: Block; index: number } | undefined>
}

/** Creates a node; nothing is opened until `start()`. */
export function createNode(config: NodeConfig): EthwireNode {
  const log = config.logger ?? createLogger(config.verbosity ?? 3)
  const cfg = { maxPeers: defaultMaxPeers, ...config }
  let chain: Chain | undefined
  let txPool: TxPool | undefined
  let recoveryPool: RecoveryPool | undefined
  let pm: ProtocolManager | undefined
  let libp2p: Libp2pTransport | undefined
  let rlpx: RlpxTransport | undefined
  let rpc: RpcServer | undefined
  let networkId = 0n
  let running = false
  let stopping: Promise<void> | undefined
  const abort = new AbortController()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const cleanups: Array<() => void> = []
  /** Addresses kept connected (bootnodes, admin_addPeer) → the current connection, if any. */
  const dialing = new Map<string, PeerAddResult | undefined>()
  const dialLoops = new Set<Promise<void>>()
  const handling = new Set<Promise<void>>()
  // mined tx index: tx hash hex → block hash hex (canonical blocks seen since start), bounded
  const minedTx = new Map<string, string>()
  let sealTimer: ReturnType<typeof setTimeout> | undefined
  let sealing: Promise<unknown> = Promise.resolve()
  let sealChain: Promise<unknown> = Promise.resolve()

  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new NodeError('ErrNotRunning', `${what}: node not started`)
    return v
  }

  const later = (f: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t)
      f()
    }, ms)
    timers.add(t)
    return t
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (abort.signal.aborted) return resolve()
      const t = later(resolve, ms)
      abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t)
          timers.delete(t)
          resolve()
        },
        { once: true },
      )
    })

  /** Hands a connection (either transport, either direction) to the protocol manager. */
  const handleConn = (conn: EthConnection): Promise<void> => {
    const p = need(pm, 'handle')
    log.debug('Peer connected', {
      transport: conn.transport,
      version: conn.version,
      addr: conn.remoteAddress,
    })
    const done = p
      .handle(conn)
      .catch((e) => log.debug('Peer handler failed', { err: e }))
      .finally(() => {
        handling.delete(done)
        log.debug('Peer gone', { transport: conn.transport, addr: conn.remoteAddress })
      })
    handling.add(done)
    return done
  }

  /** Dials once; for RLPx the transport's onConnection has already started the handler. */
  const dialOnce = async (
    address: string,
  ): Promise<{ conn: EthConnection; done: Promise<void> }> => {
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(dialTimeoutMs)])
    if (address.startsWith('enode://')) {
      const conn = await need(rlpx, 'dial').dial(address, { signal })
      // onConnection ran before dial() resolved and registered the handler
      return { conn, done: rlpxDone.get(conn) ?? Promise.resolve() }
    }
    const conn = await need(libp2p, 'dial').dial(address, { signal })
    return { conn, done: handleConn(conn) }
  }
  const rlpxDone = new WeakMap<EthConnection, Promise<void>>()

  const validateAddress = (address: string) => {
    if (address.startsWith('enode://')) {
      try {
        parseEnode(address)
      } catch (e) {
        throw new NodeError('ErrBadPeerAddress', `bad enode URL: ${(e as Error).message}`)
      }
      return
    }
    if (!address.startsWith('/'))
      throw new NodeError('ErrBadPeerAddress', `not a multiaddr or enode URL: ${address}`)
  }

  /**
   * Keeps a peer connected: dial, wait until it is gone, redial with backoff (1 s doubling to
   * 30 s; reset after a connection that lasted 30 s). The first attempt's outcome is reported.
   */
  const keepConnected = (address: string): Promise<PeerAddResult> => {
    validateAddress(address)
    if (dialing.has(address)) {
      const current = dialing.get(address)
      if (current) return Promise.resolve(current)
      return Promise.reject(
        new NodeError('ErrNotConnected', `${address}: not connected yet, redialing with backoff`),
      )
    }
    dialing.set(address, undefined)
    let reportFirst:
      | { resolve: (r: PeerAddResult) => void; reject: (e: unknown) => void }
      | undefined
    const first = new Promise<PeerAddResult>((resolve, reject) => {
      reportFirst = { resolve, reject }
    })
    first.catch(() => {})
    const loop = (async () => {
      let backoff = redialInitialMs
      while (!abort.signal.aborted) {
        const startedAt = Date.now()
        try {
          const { conn, done } = await dialOnce(address)
          log.info('Dialed peer', { addr: address, version: conn.version })
          const current = {
            transport: conn.transport as 'libp2p' | 'rlpx',
            remoteId: conn.remoteId,
          }
          dialing.set(address, current)
          reportFirst?.resolve(current)
          reportFirst = undefined
          await done
          dialing.set(address, undefined)
          if (abort.signal.aborted) break
          if (Date.now() - startedAt >= redialResetAfterMs) backoff = redialInitialMs
          log.info('Peer dropped, redialing', { addr: address, inMs: backoff })
        } catch (e) {
          if (abort.signal.aborted) break
          reportFirst?.reject(e)
          reportFirst = undefined
          log.debug('Dial failed', { addr: address, err: e, retryMs: backoff })
        }
        await sleep(backoff)
        backoff = Math.min(backoff * 2, redialMaxMs)
      }
      dialing.delete(address)
    })()
    dialLoops.add(loop)
    void loop.finally(() => dialLoops.delete(loop))
    return first
  }

  // ---------------------------------------------------------------- dev sealing

  const sealBlock = (): Promise<Block> => {
    const c = need(chain, 'seal')
    if (!cfg.dev) throw new NodeError('ErrNotRunning', 'sealBlock: not a --dev node')
    const run = sealChain.then(async () => {
      const parent = c.currentHeader()
      const block = await buildEmptyBlock(c, parent, BigInt(Math.floor(Date.now() / 1000)))
      await c.insertChain([block])
      if (pm)
        void pm
          .announceMined(block)
          .catch((e) => log.warn('Announcing mined block failed', { err: e }))
      log.info('Sealed new block', { number: block.header.number, hash: bytesToHex(block.hash) })
      return block
    })
    sealChain = run.catch(() => {})
    return run
  }

  const startSealer = () => {
    const periodMs = (cfg.dev?.periodSeconds ?? defaultDevPeriodSeconds) * 1000
    const tick = () => {
      sealTimer = undefined
      if (!running) return
      sealing = sealBlock()
        .catch((e) => log.error('Sealing failed', { err: e }))
        .finally(() => {
          if (running && !stopping) sealTimer = setTimeout(tick, periodMs)
        })
    }
    sealTimer = setTimeout(tick, periodMs)
  }

  // ---------------------------------------------------------------- status line

  const startStatusLine = () => {
    const interval = cfg.logIntervalMs ?? logIntervalMs
    if (interval <= 0) return
    let lastNum = need(chain, 'status').currentHeader().number
    let lastAt = Date.now()
    const t = setInterval(() => {
      const c = chain
      const p = pm
      if (!c || !p) return
      const head = c.currentHeader()
      const now = Date.now()
      const rate = (Number(head.number - lastNum) * 1000) / Math.max(1, now - lastAt)
      lastNum = head.number
      lastAt = now
      const syncing = p.syncing()
      log.info(syncing ? 'Syncing' : 'Status', {
        peers: p.peerCount,
        head: head.number,
        hash: shortHash(head.hash),
        'blocks/s': rate.toFixed(1),
        ...(syncing ? { highest: syncing.highestBlock } : {}),
        txs: txPool?.status().pending ?? 0,
      })
    }, interval)
    cleanups.push(() => clearInterval(t))
  }

  // ---------------------------------------------------------------- lifecycle

  const start = async () => {
    if (running || stopping) throw new NodeError('ErrNotRunning', 'node already started')
    running = true
    try {
      await mkdir(cfg.datadir, { recursive: true })
      let signerKey: Uint8Array | undefined
      let genesis: GenesisJson | undefined
      if (cfg.dev) {
        const dev = await prepareDev(cfg.datadir)
        signerKey = dev.key
        genesis = dev.genesis
      }
      chain = await openDatadirChain(cfg.datadir, { genesis, fakePow: cfg.fakePow, signerKey })
      const c = chain
      const chainId = BigInt(c.config.chainId ?? 1)
      networkId = cfg.networkId ?? chainId
      log.info('Opened chain', {
        datadir: cfg.datadir,
        genesis: bytesToHex(c.genesis.hash),
        head: c.currentHeader().number,
        network: networkId,
      })

      // mined-tx index from canonical block events
      cleanups.push(
        c.on((e) => {
          if (e.type !== 'block' || !e.canonical) return
          const bh = bytesToHex(e.block.hash)
          for (const tx of e.block.transactions) {
            minedTx.set(bytesToHex(tx.hash), bh)
            if (minedTx.size > minedTxIndexEntries) {
              const oldest = minedTx.keys().next().value
              if (oldest !== undefined) minedTx.delete(oldest)
            }
          }
          if (e.block.transactions.length && txPool)
            void txPool.removeIncluded(e.block.transactions).catch(() => {})
        }),
      )

      // and the transactions of the most recent canonical blocks already in the database
      const head = c.currentHeader().number
      const from =
        head >= BigInt(minedTxStartupBlocks) ? head - BigInt(minedTxStartupBlocks) + 1n : 1n
      for (let n = from; n <= head; n++) {
        const block = await c.getBlockByNumber(n)
        if (!block) continue
        const bh = bytesToHex(block.hash)
        for (const tx of block.transactions) minedTx.set(bytesToHex(tx.hash), bh)
      }

      // sender recovery of transactions from peers runs in a worker thread (in-thread fallback)
      recoveryPool = createRecoveryPool({ workers: cfg.recoveryWorkers ?? defaultRecoveryWorkers })
      txPool = createTxPool(
        {
          journal: createFileJournal(join(cfg.datadir, txJournalFileName)),
          recoverer: loadRecoverer(),
          batchRecoverer: recoveryPool,
        },
        {
          chainId,
          blockGasLimit: c.currentHeader().gasLimit,
          ...(cfg.txPool?.globalSlots !== undefined ? { globalSlots: cfg.txPool.globalSlots } : {}),
          ...(cfg.txPool?.accountSlots !== undefined
            ? { accountSlots: cfg.txPool.accountSlots }
            : {}),
        },
      )
      await txPool.start()

      const forks = forksFromGethConfig(c.config as Record<string, unknown>)
      const pool = txPool
      pm = createProtocolManager(
        {
          chain: c,
          txPool: pool,
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
            debug: (m: string, ctx?: Record<string, unknown>) => log.debug(m, ctx),
            info: (m: string, ctx?: Record<string, unknown>) => log.info(m, ctx),
            warn: (m: string, ctx?: Record<string, unknown>) => log.warn(m, ctx),
          },
        },
        {
          networkId,
          forkConfig: { genesisHash: c.genesis.hash, genesisTime: c.genesis.time, ...forks },
          maxPeers: cfg.maxPeers,
          minSyncPeers: cfg.minSyncPeers ?? defaultMinSyncPeers,
          syncIntervalMs: cfg.syncIntervalMs ?? defaultSyncIntervalMs,
          acceptTxs: !!cfg.dev,
          txAnnounce: cfg.txAnnounce ?? true,
        },
      )
      const p = pm
      p.on('sync:done', ({ peerId }) =>
        log.info('Sync done', { peer: peerId, head: c.currentHeader().number }),
      )
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

      const versions = cfg.ethVersions?.length ? cfg.ethVersions : defaultEthVersions(c)
      log.debug('eth versions offered', { versions: versions.join(',') })
      const host = cfg.listenHost ?? defaultListenHost
      libp2p = createLibp2pTransport(
        {},
        {
          datadir: cfg.datadir,
          versions,
          listen: [`/ip4/${host}/tcp/${cfg.port ?? 0}`],
          onConnection: (conn) => void handleConn(conn),
        },
      )
      await libp2p.start()

      const nodeKey = await loadOrCreateNodeKey(cfg.datadir)
      rlpx = createRlpxTransport(
        {},
        {
          nodeKey,
          listen: { host, port: cfg.rlpxPort ?? 0 },
          announceHost:
            cfg.externalIp ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host),
          clientId,
          ethVersions: versions,
          maxPeers: cfg.maxPeers,
          admit: () => (p.peerCount >= cfg.maxPeers ? DisconnectReason.TooManyPeers : undefined),
          onConnection: (conn) => {
            rlpxDone.set(conn, handleConn(conn))
          },
          onInboundError: (err, addr) => log.debug('RLPx inbound failed', { addr, err }),
        },
      )
      if (cfg.rlpxPort !== undefined) await rlpx.listen()

      p.start()
      if (cfg.http) {
        rpc = await startRpcServer(createRpcMethods(api), {
          host: cfg.http.host ?? '127.0.0.1',
          port: cfg.http.port ?? 8545,
        })
        log.info('HTTP server started', { url: rpc.url })
      }
      log.info('Started P2P networking', {
        libp2p: libp2p.multiaddrs().join(','),
        ...(cfg.rlpxPort !== undefined ? { enode: rlpx.enode } : {}),
      })
      for (const b of cfg.bootnodes ?? []) {
        try {
          void keepConnected(b).catch((e) => log.warn('Bootnode dial failed', { addr: b, err: e }))
        } catch (e) {
          log.warn('Bad bootnode address', { addr: b, err: e })
        }
      }
      if (cfg.dev) {
        p.setAcceptTxs(true)
        startSealer()
      }
      startStatusLine()
    } catch (e) {
      await stop().catch(() => {})
      throw e
    }
  }

  const stop = (): Promise<void> => {
    if (stopping) return stopping
    stopping = (async () => {
      const wasRunning = running
      running = false
      abort.abort()
      if (sealTimer) clearTimeout(sealTimer)
      sealTimer = undefined
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const c of cleanups.splice(0)) c()
      await sealing.catch(() => {})
      await sealChain.catch(() => {})
      const step = async (what: string, f: () => Promise<unknown> | unknown) => {
        try {
          await f()
        } catch (e) {
          log.warn(`Stopping ${what} failed`, { err: e })
        }
      }
      await step('RPC', () => rpc?.close())
      await step('protocol manager', () => pm?.stop())
      await step('libp2p', () => libp2p?.stop())
      await step('RLPx', () => rlpx?.stop())
      await Promise.race([
        Promise.allSettled([...handling]),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ])
      await Promise.allSettled([...dialLoops])
      await step('txpool', () => txPool?.stop())
      await step('recovery workers', () => recoveryPool?.close())
      await step('database', () => chain?.close())
      if (wasRunning) log.info('Node stopped')
    })()
    return stopping
  }

  const findMinedTx = async (hashHex: string) => {
    const c = chain
    const bh = minedTx.get(hashHex.toLowerCase())
    if (!c || !bh) return undefined
    const block = await c.getBlockByHash(hexToBytesSafe(bh))
    if (!block) return undefined
    const index = block.transactions.findIndex((t) => bytesToHex(t.hash) === hashHex.toLowerCase())
    if (index < 0) return undefined
    const canon = await c.getCanonicalHash(block.header.number)
    if (!canon || bytesToHex(canon) !== bh) return undefined
    return { tx: block.transactions[index] as Transaction, block, index }
  }

  const api: EthwireNode = {
    start,
    stop,
    get running() {
      return running
    },
    get rpcUrl() {
      return rpc?.url
    },
    get multiaddrs() {
      return libp2p && running ? libp2p.multiaddrs() : []
    },
    get enode() {
      return cfg.rlpxPort !== undefined && rlpx && running ? rlpx.enode : undefined
    },
    get chain() {
      return need(chain, 'chain')
    },
    get txPool() {
      return need(txPool, 'txPool')
    },
    get pm() {
      return need(pm, 'pm')
    },
    get libp2p() {
      return need(libp2p, 'libp2p')
    },
    get rlpx() {
      return rlpx
    },
    config: cfg,
    get networkId() {
      return networkId
    },
    log,
    addPeer: (address) => keepConnected(address),
    sealBlock,
    findMinedTx,
  }
  return api
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

const shortHash = (h: Uint8Array) => {
  const x = bytesToHex(h)
  return `${x.slice(0, 8)}…${x.slice(-4)}`
}

function hexToBytesSafe(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
}
