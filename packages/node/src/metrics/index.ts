/**
 * Node metrics (go-ethereum's `--metrics`, `--metrics.addr`, `--metrics.port`): a prom-client
 * registry of `ethwire_*` instruments, attach functions that feed it from the protocol manager,
 * the chain and the pool, wrappers that count connections and JSON-RPC calls, and the scrape
 * server (`/debug/metrics/prometheus`, `/metrics`). See the "Metrics" section of the package README.
 *
 * @example
 * ```ts
 * import { attachNode, createMetrics, instrumentConnection, startMetricsServer } from './metrics/index.js'
 * const metrics = createMetrics({ enabled: true })
 * const detach = attachNode(metrics, { pm, chain, txPool })
 * transport.onConnection((conn) => void pm.handle(instrumentConnection(metrics, conn)))
 * const server = await startMetricsServer({ registry: metrics, port: 6060 })
 * // … later
 * await server.stop()
 * detach()
 * ```
 */
export {
  type AttachProtocolManagerOptions,
  attachChain,
  attachNode,
  attachProtocolManager,
  attachTxPool,
  type Detach,
  type NodeSources,
} from './attach.js'
export { instrumentConnection, readRequestId } from './connection.js'
export * as metricsConstants from './constants.js'
export {
  blockFetcherEvents,
  createMetrics,
  type MetricsOptions,
  type MetricsRegistry,
  requestKinds,
  txFetcherEvents,
} from './registry.js'
export { type InstrumentedMethods, instrumentRpcMethods } from './rpc.js'
export {
  createMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
  type ScrapeSource,
  startMetricsServer,
} from './server.js'
export type * from './types.js'
