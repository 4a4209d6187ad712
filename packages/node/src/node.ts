/**
 * The composition root: `createNode` puts the parts together — chain (database and pool),
 * protocol manager, transports, the dev sealer, JSON-RPC, the status line — and hands them to the
 * lifecycle, which starts them in that order and stops them in reverse.
 */
import { type Chain, type NetworkName, networkPreset } from '@ethwire/chain'
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
import { instrumentConnection } from './metrics/connection.js'
import { instrumentRpcMethods } from './metrics/rpc.js'
import { createChainPart } from './parts/chain.js'
import { createDiscoveryPart, type DiscoveryPart, discv4Bootnodes } from './parts/discovery.js'
import { createMetricsPart, type MetricsPart } from './parts/metrics.js'
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
  /**
   * libp2p multiaddrs and/or enode URLs to dial at start and redial when they drop; the enode
   * URLs (and `enr:` records) are discv4 bootnodes too.
   */
  bootnodes?: string[]
  maxPeers?: number
  /**
   * discv4 discovery and the dialer that fills `maxPeers / dialRatio` peer slots from it (default
   * on when RLPx listens; `false` is `--nodiscover`). The table is kept in `<datadir>/nodes`.
   */
  discovery?: boolean
  /** discv4 UDP port (default the RLPx port; 0 = any free port). */
  discoveryPort?: number
  /** EIP-1459 DNS node lists (`enrtree://<key>@<domain>`) the dialer also reads. */
  dnsTrees?: string[]
  /** Dialed peers are at most maxPeers / dialRatio (default 3, as go-ethereum). */
  dialRatio?: number
  /** discv4 and dialer timing (tests: fast refresh). */
  discoveryTiming?: {
    refreshIntervalMs?: number
    revalidationIntervalMs?: number
    dialHistoryExpirationMs?: number
    dialRecheckIntervalMs?: number
    /** How soon discovery offers the dialer a node again after handing it out (default 30 s). */
    randomNodesRepeatAfterMs?: number
  }
  /**
   * A built-in network (`--mainnet`, `--sepolia`, `--holesky`, `--hoodi`): its genesis (header
   * only), network id, discv4 bootnodes and DNS tree, unless given here.
   */
  network?: NetworkName
  /** libp2p WebSockets listen port (`/ip4/<listenHost>/tcp/<port>/ws`; 0 = any); off when undefined. */
  wsLibp2pPort?: number
  /**
   * Prometheus metrics (`--metrics`): served at `http://host:port/metrics` (default
   * 127.0.0.1:6060; port 0 = any free port); off when undefined.
   */
  metrics?: { host?: string; port?: number; processMetrics?: boolean }
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
  /** `--syncmode`: `full` (default) or `fast` (needs eth/63–66 peers for the state; see README). */
  syncMode?: 'fast' | 'full'
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
  /**
   * The bloom-bits log index behind `eth_getLogs` and log filters (default true);
   * `--history.logs.disable` turns it off: every query then scans the headers' blooms.
   */
  logsIndex?: boolean
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
  /** Discovery (discv4 service and dialer) when on. */
  readonly discovery: DiscoveryPart
  /** The metrics registry (the no-op one without `metrics`). */
  readonly metrics: MetricsPart['registry']
  /** `http://host:port/debug/metrics/prometheus` of the metrics server (after `start()`, when on). */
  readonly metricsUrl: string | undefined
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
  const preset = config.network ? networkPreset(config.network) : undefined
  if (config.network && !preset)
    throw new NodeError('ErrUsage', `unknown network: ${config.network}`)
  const cfg = {
    maxPeers: defaultMaxPeers,
    ...config,
    ...(preset
      ? {
          networkId: config.networkId ?? preset.networkId,
          bootnodes: config.bootnodes?.length ? config.bootnodes : [...preset.bootnodes],
          dnsTrees: config.dnsTrees ?? [...preset.dnsTrees],
          // ethash seals are never verified: mainnet and sepolia need fake PoW (chain README)
          fakePow: config.fakePow ?? (preset.name === 'mainnet' || preset.name === 'sepolia'),
        }
      : {}),
  }
  let running = false
  let stopped = false

  const chain = createChainPart(
    { log },
    {
      datadir: cfg.datadir,
      dev: !!cfg.dev,
      genesis: preset?.genesis,
      fakePow: cfg.fakePow,
      networkId: cfg.networkId,
      txPool: cfg.txPool,
      recoveryWorkers: cfg.recoveryWorkers,
      logsIndex: cfg.logsIndex,
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
      syncMode: cfg.syncMode,
      ethVersions: () =>
        cfg.ethVersions?.length ? cfg.ethVersions : defaultEthVersions(chain.chain),
    },
  )
  const metrics: MetricsPart = createMetricsPart(
    { chain, protocol, log },
    {
      enabled: !!cfg.metrics,
      host: cfg.metrics?.host,
      port: cfg.metrics?.port,
      processMetrics: cfg.metrics?.processMetrics,
    },
  )
  const registry = metrics.registry
  const transports = createTransportsPart(
    { handler: () => protocol.pm, log },
    {
      datadir: cfg.datadir,
      versions: () => (cfg.ethVersions?.length ? cfg.ethVersions : defaultEthVersions(chain.chain)),
      listenHost: cfg.listenHost,
      externalIp: cfg.externalIp,
      port: cfg.port,
      rlpxPort: cfg.rlpxPort,
      wsPort: cfg.wsLibp2pPort,
      ...(registry.enabled ? { wrap: (conn) => instrumentConnection(registry, conn) } : {}),
      maxPeers: cfg.maxPeers,
      // a preset's bootnodes are discv4 nodes (no eth over RLPx): discovery only, never dialed
      bootnodes: preset && !config.bootnodes?.length ? [] : cfg.bootnodes,
    },
  )
  const discovery: DiscoveryPart = createDiscoveryPart(
    { chain, protocol, transports, log },
    {
      datadir: cfg.datadir,
      enabled: cfg.discovery ?? cfg.rlpxPort !== undefined,
      port: cfg.discoveryPort,
      bootnodes: discv4Bootnodes(cfg.bootnodes ?? []),
      dnsTrees: cfg.dnsTrees,
      maxPeers: cfg.maxPeers,
      dialRatio: cfg.dialRatio,
      refreshIntervalMs: cfg.discoveryTiming?.refreshIntervalMs,
      revalidationIntervalMs: cfg.discoveryTiming?.revalidationIntervalMs,
      repeatAfterMs: cfg.discoveryTiming?.randomNodesRepeatAfterMs,
      dialer: {
        ...(cfg.discoveryTiming?.dialHistoryExpirationMs !== undefined
          ? { historyExpirationMs: cfg.discoveryTiming.dialHistoryExpirationMs }
          : {}),
        ...(cfg.discoveryTiming?.dialRecheckIntervalMs !== undefined
          ? { recheckIntervalMs: cfg.discoveryTiming.dialRecheckIntervalMs }
          : {}),
      },
    },
  )
  const sealer: SealerPart | undefined = cfg.dev
    ? createSealerPart(
        {
          chain,
          announce: (block) => {
            registry.blocksImported(1, 'sealer')
            return protocol.pm.announceMined(block)
          },
          log,
        },
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
    discovery,
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
          {
            http: cfg.http,
            ws: cfg.ws,
            ...(registry.enabled ? { wrapMethods: (m) => instrumentRpcMethods(registry, m) } : {}),
          },
        )
      : undefined
  const status = createStatusPart(
    { chain, protocol, log },
    { intervalMs: cfg.logIntervalMs ?? logIntervalMs },
  )
  const parts: Part[] = [chain, protocol, metrics, transports, discovery]
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
    discovery,
    metrics: registry,
    get metricsUrl() {
      return metrics.url
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
