/**
 * The RPC part: the node's JSON-RPC `Backend` (over the chain, protocol and transports parts) and
 * the HTTP and WebSocket servers that serve its methods (per-server namespaces; subscriptions on
 * WebSocket).
 */
import type { Logger } from '@ethwire/interface'
import { type BlockHeader, bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { decodeRawTransaction, type RecoveredSender } from '@ethwire/txpool'
import {
  defaultHttpHost,
  defaultHttpPort,
  defaultHttpVhosts,
  defaultListenHost,
  defaultWsHost,
  defaultWsPort,
} from '../constants.js'
import type { Part } from '../lifecycle.js'
import type { Backend } from '../rpc/backend.js'
import { filterMethods, RpcError, RpcErrorCode, type RpcMethods } from '../rpc/dispatch.js'
import { type RpcServer, startRpcServer } from '../rpc/http.js'
import { createRpcMethods } from '../rpc/methods/index.js'
import {
  createSubscriptionHub,
  type SubscriptionHub,
  type SubscriptionSource,
} from '../rpc/subscriptions.js'
import { startWsServer, type WsRpcServer } from '../rpc/ws.js'
import { clientId } from '../version.js'
import type { ChainPart } from './chain.js'
import type { DiscoveryPart } from './discovery.js'
import { createGasPriceOracle } from './gasprice.js'
import type { ProtocolPart } from './protocol.js'
import type { TransportsPart } from './transports.js'

export interface BackendParts {
  chain: ChainPart
  protocol: ProtocolPart
  transports: TransportsPart
  /** How peers were found (admin_peers); absent: inbound or static by direction. */
  discovery?: Pick<DiscoveryPart, 'howFound' | 'enr' | 'udpPort'>
  /** Whether the node is running. */
  running: () => boolean
  listenHost?: string
}

/** The real backend: every call reads the parts as they are now (valid once they started). */
export function createBackend(p: BackendParts): Backend {
  const chain = () => p.chain.chain
  const pool = () => p.chain.txPool
  const pm = () => p.protocol.pm
  const state = () => p.chain.state
  const oracle = createGasPriceOracle({ chain })
  const account = (address: Uint8Array, header: BlockHeader) =>
    state().getAccount(header.stateRoot, address)
  const headers = { getHeader: (h: Uint8Array, n: bigint) => chain().getHeader(h, n) }
  // safe / finalized: set by a forkchoice (none on clique/PoW/--dev), kept in memory
  let finality: { safe?: BlockHeader; finalized?: BlockHeader } = {}
  return {
    clientVersion: clientId,
    get networkId() {
      return p.chain.networkId
    },
    get chainId() {
      return p.chain.chainId
    },
    get running() {
      return p.running()
    },
    nodeInfo: () => ({
      peerId: p.transports.libp2p.peerId,
      enode: p.transports.enode,
      nodeId: p.transports.rlpx?.nodeId,
      listenHost: p.listenHost ?? defaultListenHost,
      multiaddrs: p.transports.multiaddrs,
      enr: p.discovery?.enr,
      discoveryPort: p.discovery?.udpPort,
    }),
    addPeer: (address) => p.transports.addPeer(address),
    get chainConfig() {
      return chain().config
    },
    get genesisHash() {
      return chain().genesis.hash
    },
    currentHeader: () => chain().currentHeader(),
    currentTd: () => chain().currentTd(),
    blockByNumber: (n) => chain().getBlockByNumber(n),
    blockByHash: (h) => chain().getBlockByHash(h),
    td: (h) => chain().getTd(h),
    headerByNumber: (n) => chain().getHeaderByNumber(n),
    headerByHash: (h) => chain().getHeaderByHash(h),
    canonicalHash: (n) => chain().getCanonicalHash(n),
    finality: () => finality,
    setFinality: async (hashes) => {
      const next = { ...finality }
      for (const k of ['safe', 'finalized'] as const) {
        const hash = hashes[k]
        if (!hash) continue
        const h = await chain().getHeaderByHash(hash)
        if (!h) throw new Error(`${k} block ${bytesToHex(hash)} not stored`)
        next[k] = h
      }
      finality = next
    },
    minedTransaction: async (h) => {
      const c = chain()
      const at = await c.getTransaction(h)
      if (at) {
        const block = await c.getBlockByHash(at.blockHash)
        if (block) return { tx: at.tx, block, index: at.index }
      }
      return p.chain.findMinedTx(bytesToHex(h))
    },
    receipts: (h) => chain().getReceipts(h),
    getLogs: (filter, options) => p.chain.bloomIndex.getLogs(filter, options),
    onChainEvent: (listener) => chain().on(listener),
    onPendingTransactions: (listener) =>
      pool().onPending((txs) => listener(txs.map((t) => t.tx.hash))),
    hasState: (header) => state().hasRoot(header.stateRoot),
    balance: async (a, header) => (await account(a, header))?.balance ?? 0n,
    nonce: async (a, header) => (await account(a, header))?.nonce ?? 0n,
    code: async (a, header) => {
      const acc = await account(a, header)
      return acc ? ((await state().getCode(acc.codeHash)) ?? new Uint8Array(0)) : new Uint8Array(0)
    },
    storage: (a, slot, header) => state().getStorage(header.stateRoot, a, slot),
    proof: (a, slots, header) => state().getProof(header.stateRoot, a, slots),
    pendingNonce: async (a) => {
      const head = chain().currentHeader()
      const onChain = (await account(a, head))?.nonce ?? 0n
      const mine = pool().pending().get(bytesToHex(a))
      const last = mine?.at(-1)?.tx.nonce
      return last !== undefined && last + 1n > onChain ? last + 1n : onChain
    },
    call: (input) => p.chain.executor.call({ ...input, headers }),
    estimateGas: (input) => p.chain.executor.estimateGas({ ...input, headers }),
    suggestTip: () => oracle.suggestTip(),
    sendRawTransaction: async (raw, prepared) => {
      const r = prepared as RecoveredSender | undefined
      // a sender recovered ahead (the pool takes only its own, for that very transaction)
      if (r?.tx !== undefined)
        return (await pool().add(r.tx, { local: true, recovered: r })).hashHex
      return (await pool().addRaw(raw, { local: true })).hashHex
    },
    prepareRawTransactions: async (raws) => {
      const txs: Transaction[] = []
      const at: number[] = []
      for (let i = 0; i < raws.length; i++) {
        try {
          txs.push(decodeRawTransaction(raws[i] as Uint8Array))
          at.push(i)
        } catch {
          // sendRawTransaction reports it
        }
      }
      const recovered = await pool().recoverSenders(txs)
      const out: unknown[] = new Array(raws.length).fill(undefined)
      for (let k = 0; k < at.length; k++) out[at[k] as number] = recovered[k]
      return out
    },
    poolTransaction: (h) => pool().get(h),
    poolStatus: () => pool().status(),
    poolContent: () => pool().content(),
    peerCount: () => pm().peerCount,
    peerInfos: () =>
      pm()
        .peerInfos()
        .map((info) => ({
          ...info,
          howFound:
            p.discovery?.howFound(info) ??
            (info.inbound ? ('inbound' as const) : ('static' as const)),
        })),
    syncing: () => pm().syncing(),
    wireStats: () => {
      const m = pm()
      const progress = m.parts.downloader.progress()
      return {
        ...m.stats(),
        // headers known to the downloader: imported blocks plus header slots waiting for bodies
        headersDownloaded: Number(progress.currentBlock) + progress.pendingResults,
        syncHighest: Number(progress.highestBlock),
        peers: m.peerCount,
        head: Number(chain().currentHeader().number),
      }
    },
  }
}

export interface RpcPart extends Part {
  /** `http://host:port` once started (when HTTP is on). */
  readonly url: string | undefined
  /** `ws://host:port` once started (when WebSocket is on). */
  readonly wsUrl: string | undefined
  /** The WebSocket server (stats, cut-off events), once started. */
  readonly ws: WsRpcServer | undefined
}

/** Options of the HTTP server (go-ethereum's `--http.*`). */
export interface HttpRpcOptions {
  host?: string
  port?: number
  /** `--http.api`: namespaces served; undefined serves every namespace. */
  api?: string[]
  /** `--http.corsdomain`: origins sent CORS headers; default none. */
  corsDomains?: string[]
  /** `--http.vhosts`: allowed Host names; default `localhost`. */
  vhosts?: string[]
}

/** Options of the WebSocket server (go-ethereum's `--ws.*`). */
export interface WsRpcOptions {
  host?: string
  port?: number
  /** `--ws.api`: namespaces served; undefined serves every namespace. */
  api?: string[]
  /** Bytes a client may have waiting to be sent before it is cut off (default 16 MiB). */
  maxSendQueueBytes?: number
  /** `--ws.origins`: browser origins allowed (`*` any; default http://localhost and the host). */
  origins?: string[]
}

export function createRpcPart(
  deps: {
    backend: Backend
    log: Pick<Logger, 'info'>
    /** Chain and pool events for `eth_subscribe` (WebSocket only). */
    events?: Omit<SubscriptionSource, 'backend'>
    /** More methods (the accounts' `eth_`/`personal_` set), read at start. */
    extraMethods?: () => RpcMethods
  },
  options: {
    http?: HttpRpcOptions
    ws?: WsRpcOptions
    /** Wraps the method table (metrics: `instrumentRpcMethods`). */
    wrapMethods?: (methods: RpcMethods) => RpcMethods
  } & HttpRpcOptions,
): RpcPart {
  let server: RpcServer | undefined
  let ws: WsRpcServer | undefined
  let hub: SubscriptionHub | undefined
  // `{ host, port }` alone is the HTTP server (the shape before WebSocket existed)
  const http: HttpRpcOptions | undefined =
    options.http ??
    (options.ws === undefined || options.host !== undefined || options.port !== undefined
      ? {
          host: options.host,
          port: options.port,
          api: options.api,
          corsDomains: options.corsDomains,
          vhosts: options.vhosts,
        }
      : undefined)
  return {
    name: 'RPC',
    start: async () => {
      const raw = { ...createRpcMethods(deps.backend), ...(deps.extraMethods?.() ?? {}) }
      const all = options.wrapMethods ? options.wrapMethods(raw) : raw
      if (http) {
        const notSupported = async () => {
          throw new RpcError(RpcErrorCode.MethodNotFound, 'notifications not supported')
        }
        const httpMethods = filterMethods(
          { ...all, eth_subscribe: notSupported, eth_unsubscribe: notSupported },
          http.api,
        )
        server = await startRpcServer(httpMethods, {
          host: http.host ?? defaultHttpHost,
          port: http.port ?? defaultHttpPort,
          corsDomains: http.corsDomains ?? [],
          vhosts: http.vhosts ?? defaultHttpVhosts,
        })
        deps.log.info('HTTP server started', { url: server.url })
      }
      const wsOpts = options.ws
      if (wsOpts) {
        const methods = filterMethods(all, wsOpts.api)
        const eth = wsOpts.api === undefined || wsOpts.api.some((a) => a.trim() === 'eth')
        if (deps.events && eth)
          hub = createSubscriptionHub({ backend: deps.backend, ...deps.events })
        ws = await startWsServer(
          { methods, hub },
          {
            host: wsOpts.host ?? defaultWsHost,
            port: wsOpts.port ?? defaultWsPort,
            maxSendQueueBytes: wsOpts.maxSendQueueBytes,
            ...(wsOpts.origins ? { allowedOrigins: wsOpts.origins } : {}),
          },
        )
        deps.log.info('WebSocket enabled', { url: ws.url })
      }
    },
    stop: async () => {
      const s = server
      const w = ws
      server = undefined
      ws = undefined
      hub?.close()
      hub = undefined
      await Promise.all([s?.close(), w?.close()])
    },
    get url() {
      return server?.url
    },
    get wsUrl() {
      return ws?.url
    },
    get ws() {
      return ws
    },
  }
}
