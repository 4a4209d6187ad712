/**
 * A WebSockets front for a node that listens on libp2p TCP only (what `@ethwire/node` does until
 * it gets a WebSockets listen flag): every eth connection a browser opens over ws is matched by
 * one the bridge dials to the node over TCP, on the same eth version, and the messages are
 * relayed both ways unchanged. The Status handshake and everything after it is between the page
 * and the node; a close on either side closes the other with the same disconnect reason.
 */
import type { EthConnection } from '@ethwire/interface'
import { DisconnectReason, isWireError } from '@ethwire/rlp-wire'
import { createLibp2pTransport, type Libp2pTransport } from '@ethwire/transport-libp2p'

export interface WsBridge {
  /** The bridge's WebSockets multiaddr (what the page dials). */
  readonly address: string
  /** Relayed connections open now. */
  readonly connections: number
  close(): Promise<void>
}

export interface WsBridgeOptions {
  /** The node's libp2p TCP multiaddr (with `/p2p/<id>`). */
  target: string
  /** eth versions to offer the page: the node's. */
  versions: readonly number[]
  /** Default 127.0.0.1. */
  host?: string
  /** WebSockets port; 0 = any free port (the default). */
  port?: number
  log?: (line: string) => void
}

/** Relays `from` → `to` until either closes; then closes the other with the reason seen. */
async function pipe(from: EthConnection, to: EthConnection): Promise<void> {
  try {
    for (;;) {
      const msg = await from.readMsg()
      await to.writeMsg(msg.code, msg.payload)
    }
  } catch (err) {
    const reason = isWireError(err, 'ErrClosed')
      ? (err.reason ?? DisconnectReason.NetworkError)
      : DisconnectReason.NetworkError
    await Promise.all([from.close(reason), to.close(reason)].map((p) => p.catch(() => {})))
  }
}

export async function startWsBridge(options: WsBridgeOptions): Promise<WsBridge> {
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? (() => {})
  const dialers = new Map<number, Libp2pTransport>()
  const relays = new Set<Promise<void>>()
  let open = 0
  const dialerFor = (version: number): Libp2pTransport => {
    let d = dialers.get(version)
    if (d === undefined) {
      d = createLibp2pTransport({}, { transports: ['tcp'], listen: [], versions: [version] })
      dialers.set(version, d)
    }
    return d
  }
  const relay = async (inbound: EthConnection): Promise<void> => {
    let outbound: EthConnection
    try {
      outbound = await dialerFor(inbound.version).dial(options.target)
    } catch (err) {
      log(`bridge: cannot reach the node: ${(err as Error).message}`)
      await inbound.close(DisconnectReason.NetworkError).catch(() => {})
      return
    }
    open++
    log(`bridge: ${inbound.remoteAddress} ⇄ node on eth/${inbound.version}`)
    await Promise.all([pipe(inbound, outbound), pipe(outbound, inbound)])
    open--
    log(`bridge: ${inbound.remoteAddress} closed (${inbound.closeInfo?.reason ?? '?'})`)
  }
  const ws = createLibp2pTransport(
    {},
    {
      transports: ['websockets'],
      listen: [`/ip4/${host}/tcp/${options.port ?? 0}/ws`],
      versions: options.versions,
      onInbound: (conn) => {
        const r = relay(conn)
        relays.add(r)
        void r.finally(() => relays.delete(r))
      },
    },
  )
  const [address] = await ws.listen()
  if (address === undefined) throw new Error('the WebSockets transport has no address')
  return {
    address,
    get connections() {
      return open
    },
    async close() {
      await ws.close()
      await Promise.all([...dialers.values()].map((d) => d.close()))
      await Promise.all(relays)
    },
  }
}
