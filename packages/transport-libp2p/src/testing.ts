/**
 * Test helpers for code that uses the libp2p transport: a connected pair of real transports on
 * 127.0.0.1 (each a full libp2p node), for tests that want real streams without the setup.
 */
// Side effect first: Promise.withResolvers for Node 20 before libp2p runs.
import './polyfill.js'
import {
  createLibp2pTransport,
  type Libp2pTransport,
  type Libp2pTransportOptions,
} from './transport.js'
import type { EthConnection } from './wire.js'

export interface ConnectedPair {
  readonly dialer: Libp2pTransport
  readonly listener: Libp2pTransport
  /** The dialer's end of the eth stream. */
  readonly outbound: EthConnection
  /** The listener's end of the same stream. */
  readonly inbound: EthConnection
  /** Stops both transports (no sockets or timers left). */
  stop(): Promise<void>
}

/** Starts two transports on 127.0.0.1 and opens one eth stream from `dialer` to `listener`. */
export async function connectedPair(
  dialerOptions: Libp2pTransportOptions = {},
  listenerOptions: Libp2pTransportOptions = {},
): Promise<ConnectedPair> {
  const dialer = createLibp2pTransport({}, dialerOptions)
  const listener = createLibp2pTransport({}, listenerOptions)
  const stop = async (): Promise<void> => {
    await Promise.all([dialer.stop(), listener.stop()])
  }
  try {
    await Promise.all([dialer.start(), listener.start()])
    const accepted = listener.accept(AbortSignal.timeout(10_000))
    const outbound = await dialer.dial(listener.multiaddrs()[0] as string)
    const inbound = await accepted
    return { dialer, listener, outbound, inbound, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
