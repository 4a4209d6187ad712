/** The default {@link DatagramSocket}: node:dgram, IPv4 or dual-stack IPv6 by the listen host. */
import { createSocket, type Socket } from 'node:dgram'
import { isIPv4, isIPv6 } from 'node:net'
import { maxPacketSizeBytes } from './constants.js'
import { Discv4Error } from './errors.js'
import { normalizeIp } from './ip.js'
import type { DatagramSocket, SocketFactory, UdpAddress } from './types.js'

/** Binds a UDP socket on `listen` (`0.0.0.0`, `::`, `127.0.0.1`, … and a port, 0 for any). */
export const udpSocketFactory: SocketFactory = async (listen) => {
  const v6 = isIPv6(listen.ip)
  if (!v6 && !isIPv4(listen.ip)) {
    throw new Discv4Error('ErrInvalidArgument', `listen host must be an IP: ${listen.ip}`)
  }
  const sock = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: false })
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    sock.once('error', onError)
    sock.bind(listen.port, listen.ip, () => {
      sock.off('error', onError)
      resolve()
    })
  })
  return new DgramSocket(sock, v6)
}

class DgramSocket implements DatagramSocket {
  readonly #sock: Socket
  readonly #v6: boolean
  #handler: ((data: Uint8Array, from: UdpAddress) => void) | undefined
  #closed = false

  constructor(sock: Socket, v6: boolean) {
    this.#sock = sock
    this.#v6 = v6
    // A send to an unreachable address surfaces here on some platforms; UDP loses it anyway.
    sock.on('error', () => {})
    sock.on('message', (msg, rinfo) => {
      // A datagram over the limit is dropped by the decoder; only one byte more reaches it.
      const n = Math.min(msg.length, maxPacketSizeBytes + 1)
      const data = new Uint8Array(msg.buffer, msg.byteOffset, n) // a plain view, not a Buffer
      this.#handler?.(data, addr(rinfo))
    })
  }

  send(data: Uint8Array, to: UdpAddress): void {
    if (this.#closed) return
    let ip = to.ip
    if (this.#v6 && isIPv4(ip)) ip = `::ffff:${ip}`
    else if (!this.#v6 && !isIPv4(ip)) return // an IPv4 socket cannot reach IPv6 nodes
    this.#sock.send(data, to.port, ip, () => {})
  }

  onMessage(handler: (data: Uint8Array, from: UdpAddress) => void): void {
    this.#handler = handler
  }

  address(): UdpAddress {
    const a = this.#sock.address()
    return { ip: normalizeIp(a.address), port: a.port }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    return new Promise((resolve) => this.#sock.close(() => resolve()))
  }
}

function addr(rinfo: { address: string; port: number }): UdpAddress {
  return { ip: normalizeIp(rinfo.address), port: rinfo.port }
}
