/**
 * The metrics part (`--metrics`): the `ethwire_*` registry fed from the protocol manager, the chain
 * and the pool (`attachNode`), and the scrape server (`/metrics`, `/debug/metrics/prometheus`).
 * The registry exists from creation (the transports wrap connections with it and the RPC part its
 * method table); with metrics off it is the no-op registry and nothing is attached or served.
 * Started after the protocol manager, stopped before it.
 */
import type { Logger } from '@ethwire/interface'
import type { Part } from '../lifecycle.js'
import { attachNode, type Detach } from '../metrics/attach.js'
import { defaultMetricsHost, defaultMetricsPort } from '../metrics/constants.js'
import { createMetrics, type MetricsRegistry } from '../metrics/registry.js'
import { type MetricsServer, startMetricsServer } from '../metrics/server.js'
import type { ChainPart } from './chain.js'
import type { ProtocolPart } from './protocol.js'

export interface MetricsPartOptions {
  /** Off: the no-op registry, no server. */
  enabled: boolean
  host?: string
  /** 0 = any free port. */
  port?: number
  /** prom-client's process metrics (default true). */
  processMetrics?: boolean
}

export interface MetricsPart extends Part {
  readonly registry: MetricsRegistry
  /** `http://host:port/metrics` once started (metrics on). */
  readonly url: string | undefined
}

export function createMetricsPart(
  deps: { chain: ChainPart; protocol: ProtocolPart; log: Pick<Logger, 'info'> },
  options: MetricsPartOptions,
): MetricsPart {
  const registry = createMetrics({
    enabled: options.enabled,
    ...(options.processMetrics !== undefined ? { processMetrics: options.processMetrics } : {}),
  })
  let detach: Detach | undefined
  let server: MetricsServer | undefined
  return {
    name: 'metrics',
    registry,
    start: async () => {
      if (!options.enabled) return
      detach = attachNode(registry, {
        pm: deps.protocol.pm,
        chain: deps.chain.chain,
        txPool: deps.chain.txPool,
      })
      server = await startMetricsServer({
        registry,
        host: options.host ?? defaultMetricsHost,
        port: options.port ?? defaultMetricsPort,
      })
      deps.log.info('Metrics server started', { url: server.url })
    },
    stop: async () => {
      const s = server
      server = undefined
      await s?.stop()
      detach?.()
      detach = undefined
    },
    get url() {
      return server?.url
    },
  }
}
