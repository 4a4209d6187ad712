/** Options every cancellable async method takes. */
export interface AbortOptions {
  /** Aborting it rejects the call with the signal's reason (an `AbortError` by default). */
  signal?: AbortSignal
}

/**
 * The one lifecycle of every long-running part (transports, loops, servers, the node). `start`
 * resolves once the part is running; `stop` resolves once it has released every timer, socket and
 * file it held. Starting a started part or stopping a stopped one is a no-op; a part is not
 * restarted after `stop`.
 */
export interface Startable {
  start(): Promise<void>
  stop(): Promise<void>
}
