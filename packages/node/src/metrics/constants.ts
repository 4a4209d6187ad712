/** Defaults and limits of the metrics module (go-ethereum's `--metrics.addr` / `--metrics.port`). */

/** `--metrics.addr`: loopback only unless asked (the endpoint has no authentication). */
export const defaultMetricsHost = '127.0.0.1'
/** `--metrics.port`, go-ethereum's default. */
export const defaultMetricsPort = 6060
/** The paths that serve the Prometheus text format (go-ethereum's, and the conventional one). */
export const metricsPaths = ['/debug/metrics/prometheus', '/metrics'] as const
/** Prefix of every metric name, including prom-client's process metrics. */
export const metricPrefix = 'ethwire_'
/** Sampling resolution of the event-loop delay monitor (prom-client's default metrics). */
export const eventLoopResolutionMs = 10
/** Idle / request timeout of a scrape connection. */
export const metricsRequestTimeoutMs = 10_000

/** eth message codes get their own series up to this code; higher codes share `code="other"`. */
export const maxTrackedMsgCode = 0x1f
/**
 * Distinct values of a label fed from outside (drop reasons, import sources, RPC methods):
 * beyond this many, new values are counted under `other`, so a peer cannot grow the output.
 */
export const maxLabelValues = 64
/** Outstanding timed requests per connection and kind; the oldest beyond it counts as lost. */
export const maxTrackedRequestsPerKind = 256

/** Request round trips, seconds (10 ms … 30 s). */
export const requestBucketsSeconds = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Block import and execution per `insertChain` batch, seconds (1 ms … 60 s). */
export const importBucketsSeconds = [
  0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]
/** JSON-RPC handler time, seconds (0.1 ms … 10 s). */
export const rpcBucketsSeconds = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]
