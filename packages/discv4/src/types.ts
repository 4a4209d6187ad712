/**
 * What discovery consumes from the outside, declared as narrowly as it needs: the shared
 * contracts from `@ethwire/interface`, a datagram socket, a DNS TXT resolver.
 */
import type { Clock, Logger, RandomSource } from '@ethwire/interface'
import { createSystemClock } from '@ethwire/interface/runtime'

export type { Clock, Logger, RandomSource }

/** Where a datagram came from or goes to. */
export interface UdpAddress {
  readonly ip: string
  readonly port: number
}

/**
 * A bound UDP socket. `send` is fire-and-forget (a failed send is lost, as UDP is). Incoming
 * datagrams go to the one handler given by `onMessage`.
 */
export interface DatagramSocket {
  send(data: Uint8Array, to: UdpAddress): void
  onMessage(handler: (data: Uint8Array, from: UdpAddress) => void): void
  /** The bound address (the real port when bound to port 0). */
  address(): UdpAddress
  close(): Promise<void>
}

/** Binds a {@link DatagramSocket}; the default is node:dgram. */
export type SocketFactory = (listen: UdpAddress) => Promise<DatagramSocket>

/** DNS TXT lookups: every TXT record of `name`, each as its strings joined. */
export interface TxtResolver {
  resolveTxt(name: string, opts?: { signal?: AbortSignal }): Promise<string[]>
}

/** The clock of the host (Date.now and the global timers; timers do not keep the process alive). */
export const systemClock: Clock = createSystemClock({ unref: true })

/** Math.random. */
export const systemRandom: RandomSource = () => Math.random()

/** A logger that drops everything. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
}
