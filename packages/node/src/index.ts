/**
 * @ethwire/node — the ethwire node: chain database, transaction pool, the eth protocol manager
 * over libp2p and RLPx at once, JSON-RPC over HTTP, a clique dev sealer, and the `ethwire` CLI.
 *
 * @example
 * ```ts
 * import { createNode } from '@ethwire/node'
 *
 * const node = createNode({ datadir: './dev-data', dev: { periodSeconds: 1 }, http: { port: 0 } })
 * await node.start()
 * console.log(node.rpcUrl, node.multiaddrs)
 * // … eth_blockNumber via any JSON-RPC client (viem, curl)
 * await node.stop()
 * ```
 */

export * from './accounts/index.js'
export {
  COMMANDS,
  type Command,
  defaultFlags,
  type NodeFlags,
  nodeConfigFromFlags,
  type ParsedArgs,
  parseArgs,
  USAGE,
  UsageError,
} from './args.js'
export {
  type CommandContext,
  devchainCommand,
  dumpGenesisCommand,
  exportCommand,
  importCommand,
  initCommand,
} from './commands.js'
export * as constants from './constants.js'
export { checkEngineSupported, paths as datadirPaths } from './datadir.js'
export {
  candidateFromEnode,
  candidateFromNode,
  createDialer,
  type DialCandidate,
  type Dialer,
  type DialerDeps,
  type DialerOptions,
  type DialerStats,
  type DialSource,
  type DiscoveredNodeLike,
  discoverySource,
  type HowFound,
} from './dialer.js'
export { isNodeError, NodeError, type NodeErrorCode } from './errors.js'
export { createLifecycle, type Lifecycle, type Part } from './lifecycle.js'
export { createLogger, type LogContext, type Logger, type LogLevel, silentLogger } from './log.js'
export * from './metrics/index.js'
export {
  createNode,
  defaultEthVersions,
  type EthwireNode,
  type NodeConfig,
  type PeerAddResult,
} from './node.js'
export type { DiscoveryPart, DiscoveryPartOptions } from './parts/discovery.js'
export type { HttpRpcOptions, RpcPart, WsRpcOptions } from './parts/rpc.js'
export { createRootPool, type RootPool, type RootPoolOptions } from './roots.js'
export type {
  Backend,
  BackendCall,
  BackendChainEvent,
  BackendMinedTx,
  BackendNodeInfo,
  BackendPeerInfo,
  BackendPoolContent,
  BackendPoolTx,
} from './rpc/backend.js'
export {
  dispatch,
  filterMethods,
  handleBody,
  isRpcError,
  type JsonRpcResponse,
  RpcError,
  RpcErrorCode,
  type RpcHandler,
  type RpcMethods,
  rpcServerErrorCode,
} from './rpc/dispatch.js'
export type { FiltersOptions } from './rpc/filters.js'
export { formatBlock, formatTransaction } from './rpc/format.js'
export {
  corsOrigin,
  type HttpServerOptions,
  hostAllowed,
  type RpcServer,
  startRpcServer,
} from './rpc/http.js'
export { createRpcMethods } from './rpc/methods/index.js'
export {
  blockLogs,
  createSubscriptionHub,
  formatHead,
  type LogFilter,
  logMatches,
  type Notify,
  parseLogFilter,
  type SubscriptionHub,
  type SubscriptionSession,
  type SubscriptionSource,
} from './rpc/subscriptions.js'
export {
  startWsServer,
  type WsRpcServer,
  type WsServerOptions,
  type WsServerStats,
  wsCutOffCode,
  wsCutOffReason,
} from './rpc/ws.js'
