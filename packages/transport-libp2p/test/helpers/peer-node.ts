/**
 * One ethwire peer in its own process, driven by the integration test over IPC (child_process.fork).
 * It starts a libp2p transport on 127.0.0.1, runs the Status handshake on every eth connection
 * (inbound or dialled on request), registers handshaken peers in a PeerSet, reads from them until
 * the connection closes, then unregisters them. Everything it sees is reported to the parent.
 *
 * Config: JSON in argv[2] — { versions, networkId, genesisHex, datadir? }.
 * Parent → child: { type: 'dial', addr } | { type: 'disconnect', reason } | { type: 'stop' }.
 */
import { handshake, isHandshakeError, type LocalStatus } from '@ethwire/handshake'
import { Peer, PeerSet } from '@ethwire/peerset'
import { hexToBytes, isWireError } from '@ethwire/rlp-wire'
import { createLibp2pTransport } from '../../src/index.js'
import type { EthConnection } from '../../src/wire.js'

interface Config {
  versions: number[]
  networkId: string
  genesisHex: string
  datadir?: string
}

type Report = Record<string, unknown> & { type: string }

const config = JSON.parse(process.argv[2] ?? '{}') as Config
const send = (r: Report): void => {
  process.send?.(r)
}

const genesisHash = hexToBytes(config.genesisHex)
const local: LocalStatus = {
  networkId: BigInt(config.networkId),
  genesisHash,
  head: { hash: genesisHash, number: 0n, time: 0n },
  td: 1n,
  forks: { genesisHash, forksByBlock: [], forksByTime: [] },
}

const peers = new PeerSet<Peer>({ maxPeers: 8 })
peers.on('added', (p) =>
  send({ type: 'registered', id: p.id, version: p.version, size: peers.size }),
)
peers.on('removed', (p) => send({ type: 'unregistered', id: p.id, size: peers.size }))

const transport = createLibp2pTransport(
  {},
  {
    versions: config.versions,
    ...(config.datadir === undefined ? {} : { datadir: config.datadir }),
    onConnection: (conn) => void run(conn, 'inbound'),
  },
)

async function run(conn: EthConnection, direction: 'inbound' | 'outbound'): Promise<void> {
  send({ type: 'connected', direction, id: conn.remoteId, version: conn.version })
  let status: Awaited<ReturnType<typeof handshake>>
  try {
    status = await handshake({ conn, local })
  } catch (err) {
    send({
      type: 'handshake-failed',
      code: isHandshakeError(err) ? err.code : String(err),
      closeInfo: conn.closeInfo,
    })
    return
  }
  const peer = new Peer({ conn, status: status.remote })
  peers.register(peer)
  try {
    for (;;) {
      const msg = await conn.readMsg()
      peer.deliver(msg)
    }
  } catch (err) {
    peer.close()
    if (peers.has(peer.id)) peers.unregister(peer.id)
    send({
      type: 'closed',
      id: peer.id,
      code: isWireError(err) ? err.code : String(err),
      closeInfo: conn.closeInfo,
    })
  }
}

process.on('message', (m: Report) => {
  void (async () => {
    if (m.type === 'dial') {
      try {
        const conn = await transport.dial(m.addr as string)
        await run(conn, 'outbound')
      } catch (err) {
        send({ type: 'dial-failed', message: String(err) })
      }
    } else if (m.type === 'disconnect') {
      await Promise.all(peers.peers().map((p) => p.disconnect(m.reason as number)))
    } else if (m.type === 'stop') {
      await peers.close()
      await transport.stop()
      // What still holds the event loop open after stop (should be only the IPC channel and
      // stdio pipes). Close callbacks already queued may need a few loop turns: wait (in
      // setImmediate turns, which add no timer of their own) until no socket or timer is left,
      // at most `settleMs`; a handle that leaks is still there when the wait gives up.
      const settleMs = 5_000
      const leaky = () =>
        process
          .getActiveResourcesInfo()
          .some((r) => r === 'TCPWrap' || r === 'TCPServerWrap' || r === 'Timeout')
      const deadline = Date.now() + settleMs
      while (leaky() && Date.now() < deadline) await new Promise((r) => setImmediate(r))
      send({ type: 'stopped', resources: process.getActiveResourcesInfo() })
      process.disconnect()
    }
  })()
})

await transport.start()
send({ type: 'listening', addrs: transport.multiaddrs(), peerId: transport.peerId })
