/**
 * JSON-RPC metrics without a hook in the server: each handler of the method table is wrapped to
 * count its calls (`ethwire_rpc_requests_total{method,result}`) and time them
 * (`ethwire_rpc_request_duration_seconds{method}`). Calls of unknown methods never reach a
 * handler and are not counted.
 */
import type { MetricsRegistry } from './registry.js'
import type { RpcMethodTable } from './types.js'

/**
 * A table `T` with every handler timed: same names and results (a promise when enabled; the
 * handlers as they are when disabled).
 */
export type InstrumentedMethods<T extends RpcMethodTable> = {
  [K in keyof T]: (
    params: unknown[],
  ) => Awaited<ReturnType<T[K]>> | Promise<Awaited<ReturnType<T[K]>>>
}

/** The same table with every handler timed; a disabled registry gets the table itself back. */
export function instrumentRpcMethods<T extends RpcMethodTable>(
  metrics: MetricsRegistry,
  methods: T,
): InstrumentedMethods<T> {
  if (!metrics.enabled) return methods as InstrumentedMethods<T>
  const { clock } = metrics
  const out: RpcMethodTable = {}
  for (const [method, handler] of Object.entries(methods)) {
    out[method] = async (params) => {
      const start = clock.now()
      try {
        const result = await handler(params)
        metrics.rpcRequest(method, (clock.now() - start) / 1000, true)
        return result
      } catch (err) {
        metrics.rpcRequest(method, (clock.now() - start) / 1000, false)
        throw err
      }
    }
  }
  return out as InstrumentedMethods<T>
}
