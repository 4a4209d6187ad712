/**
 * The composition root: `createNode` puts the parts together — chain (database and pool),
 * protocol manager, transports, the dev sealer, JSON-RPC, the status line — and hands them to the
 * lifecycle, which starts them in that order and stops them in reverse.
 */
import type { Chain } from '@ethwire/chain'
import type { ProtocolManager } from '@ethwire/protocol-manager'
import type { Block, Transaction } from '@ethwire/rlp-wire'
import type { Libp2pTransport } from '@ethwire/transport-libp2p'
import type { RlpxTransport } from '@ethwire/transport-rlpx'
import type { TxPool } from '@ethwire/txpool'
import type { AccountManager } from './accounts/manager.js'
import { createNodeAccounts, type NodeAccounts, type NodeAccountsOptions } from './accounts/node.js'
import {
  defaultDevPeriodSeconds,
  defaultMaxPeers,
  defaultMinerGasLimit,
  logIntervalMs,
} from './constants.js'
import { NodeError } from './errors.js'
import { createLifecycle, type Part } from './lifecycle.js'
import { createLogger, type Logger } from './log.js'
import { createChainPart } from './parts/chain.js'
import { createProtocolPart, defaultEthVersions } from './parts/protocol.js'
import {
  createBackend,
  createRpcPart,
  type HttpRpcOptions,
  type RpcPart,
  type WsRpcOptions,
} from './parts/rpc.js'
import { createSealerPart, type SealerPart } from './parts/sealer.js'
import { createStatusPart } from './parts/status.js'
import { createTransportsPart, type PeerAddResult } from './parts/transports.js'
import type { Backend } from './rpc/backend.js'

export { defaultEthVersions } from './parts/protocol.js'
export type { PeerAddResult } from './parts/transports.js'

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
  /**
   * JSON-RPC over HTTP; off when undefined. `api`: namespaces served (`--http.api`, default
   * all); `corsDomains` (`--http.corsdomain`, default none); `vhosts` (`--http.vhosts`, default
   * `localhost`).
   */
  http?: HttpRpcOptions
  /**
   * JSON-RPC over WebSocket with `eth_subscribe`; off when undefined. Default 127.0.0.1:8546,
   * every namespace; `maxSendQueueBytes` cuts off clients that do not read (default 16 MiB).
   */
  ws?: WsRpcOptions
  /**
   * Local accounts (`eth_accounts`, `eth_sendTransaction`, `personal_*`): the keystore
   * (`<datadir>/keystore` unless `keystore`), `--unlock` with `--password` (a file) or
   * `passwords`, `--allow-insecure-unlock`, `--rpc.txfeecap` (wei). In dev mode the dev signer
   * is imported into the keystore with an empty password and unlocked.
   */
  accounts?: Omit<NodeAccountsOptions, 'datadir' | 'rpcExposed'>
  /** libp2p multiaddrs and/or enode URLs to dial at start and redial when they drop. */
  bootnodes?: string[]
  maxPeers?: number
  /**
   * Dev mode: clique dev genesis + signer key in the datadir; the miner seals a block every
   * `periodSeconds`, or, with 0, whenever transactions become pending.
   */
  dev?: { periodSeconds?: number }
  /** The miner (dev mode): go-ethereum's `--miner.*`. */
  miner?: {
    /** Fee recipient on engines that pay the coinbase (clique pays the signer instead). */
    etherbase?: Uint8Array
    /** Gas limit the blocks move toward (default 30,000,000). */
    gasLimit?: bigint
    /** Extra-data of mined blocks (clique: the vanity), at most 32 bytes. */
    extraData?: Uint8Array
  }
  fakePow?: boolean
  syncIntervalMs?: number
  minSyncPeers?: number
  /** Allowed eth versions on both transports (default: all rlp-wire supports). */
  ethVersions?: number[]
  txAnnounce?: boolean
  /** Logger (default: info level to stderr); or a verbosity 0..5. */
  logger?: Logger
  verbosity?: number
  /**
   * Pool limits (go-ethereum's and @ethwire/txpool's defaults): executable slots over all accounts
   * (5120) and per account (16), non-executable slots over all accounts (1024) and per account (64).
   */
  txPool?: {
    globalSlots?: number
    accountSlots?: number
    globalQueue?: number
    accountQueue?: number
  }
  /** Worker threads recovering senders of transactions from peers (default 1). */
  recoveryWorkers?: number
  /** Status log line interval; 0 turns it off. */
  logIntervalMs?: number
}

export interface EthwireNode {
  start(): Promise<void>
  /** Stops sealer, RPC, protocol manager, transports, pool; closes the database. Idempotent. */
  stop(): Promise<void>
  readonly running: boolean
  /** `http://host:port` of the JSON-RPC server (after `start()`, when enabled). */
  readonly rpcUrl: string | undefined
  /** `ws://host:port` of the WebSocket JSON-RPC server (after `start()`, when enabled). */
  readonly wsUrl: string | undefined
  /** The RPC part (HTTP and WebSocket servers), when either is enabled. */
  readonly rpc: RpcPart | undefined
  /** The keystore accounts (`eth_accounts`, signing). */
  readonly accounts: AccountManager
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
  /** What the JSON-RPC methods read (`createRpcMethods(node.backend)` for a server of your own). */
  readonly backend: Backend
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
  let running = false
  let stopped = false

  const chain = createChainPart(
    { log },
    {
      datadir: cfg.datadir,
      dev: !!cfg.dev,
      fakePow: cfg.fakePow,
      networkId: cfg.networkId,
      txPool: cfg.txPool,
      recoveryWorkers: cfg.recoveryWorkers,
    },
  )
  const protocol = createProtocolPart(
    { chain, log },
    {
      maxPeers: cfg.maxPeers,
      minSyncPeers: cfg.minSyncPeers,
      syncIntervalMs: cfg.syncIntervalMs,
      acceptTxs: !!cfg.dev,
      txAnnounce: cfg.txAnnounce,
    },
  )
  const transports = createTransportsPart(
    { handler: () => protocol.pm, log },
    {
      datadir: cfg.datadir,
      versions: () => (cfg.ethVersions?.length ? cfg.ethVersions : defaultEthVersions(chain.chain)),
      listenHost: cfg.listenHost,
      externalIp: cfg.externalIp,
      port: cfg.port,
      rlpxPort: cfg.rlpxPort,
      maxPeers: cfg.maxPeers,
      bootnodes: cfg.bootnodes,
    },
  )
  const sealer: SealerPart | undefined = cfg.dev
    ? createSealerPart(
        { chain, announce: (block) => protocol.pm.announceMined(block), log },
        {
          periodSeconds: cfg.dev.periodSeconds ?? defaultDevPeriodSeconds,
          gasLimit: cfg.miner?.gasLimit ?? defaultMinerGasLimit,
          etherbase: cfg.miner?.etherbase,
          extraData: cfg.miner?.extraData,
        },
      )
    : undefined
  const backend = createBackend({
    chain,
    protocol,
    transports,
    running: () => running,
    listenHost: cfg.listenHost,
  })
  const accounts: NodeAccounts = createNodeAccounts(
    {},
    { ...cfg.accounts, datadir: cfg.datadir, rpcExposed: !!(cfg.http || cfg.ws) },
  )
  const accountsPart: Part = {
    name: 'accounts',
    start: async () => {
      const { warnings } = await accounts.start(cfg.dev ? chain.signerKey : undefined)
      for (const w of warnings) log.warn(w)
    },
    stop: () => accounts.stop(),
  }
  const rpc: RpcPart | undefined =
    cfg.http || cfg.ws
      ? createRpcPart(
          {
            backend,
            log,
            events: {
              onChain: (l) => chain.chain.on(l),
              onPending: (l) => chain.txPool.onPending(l),
            },
            extraMethods: () => accounts.methods(backend),
          },
          { http: cfg.http, ws: cfg.ws },
        )
      : undefined
  const status = createStatusPart(
    { chain, protocol, log },
    { intervalMs: cfg.logIntervalMs ?? logIntervalMs },
  )
  const parts: Part[] = [chain, protocol, transports]
  if (sealer) parts.push(sealer)
  parts.push(accountsPart)
  if (rpc) parts.push(rpc)
  parts.push(status)
  const lifecycle = createLifecycle(parts, log)

  const start = async () => {
    if (running || stopped) throw new NodeError('ErrNotRunning', 'node already started')
    running = true
    try {
      await lifecycle.start()
    } catch (err) {
      running = false
      stopped = true
      throw err
    }
  }

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    if (stopping) return stopping
    stopping = (async () => {
      const wasRunning = running
      running = false
      stopped = true
      await lifecycle.stop()
      if (wasRunning) log.info('Node stopped')
    })()
    return stopping
  }

  return {
    start,
    stop,
    get running() {
      return running
    },
    get rpcUrl() {
      return rpc?.url
    },
    get wsUrl() {
      return rpc?.wsUrl
    },
    rpc,
    accounts: accounts.manager,
    get multiaddrs() {
      return running ? transports.multiaddrs : []
    },
    get enode() {
      return running ? transports.enode : undefined
    },
    get chain() {
      return chain.chain
    },
    get txPool() {
      return chain.txPool
    },
    get pm() {
      return protocol.pm
    },
    get libp2p() {
      return transports.libp2p
    },
    get rlpx() {
      return transports.rlpx
    },
    config: cfg,
    get networkId() {
      return chain.networkId
    },
    log,
    backend,
    addPeer: (address) => transports.addPeer(address),
    sealBlock: () => {
      if (!sealer) throw new NodeError('ErrNotRunning', 'sealBlock: not a --dev node')
      return sealer.sealBlock()
    },
    findMinedTx: (hashHex) => chain.findMinedTx(hashHex),
  }
}
