// Two libp2p nodes on 127.0.0.1 agree on an eth version, exchange a message and close with a
// reason both sides see. Run: node --conditions=@ethwire/source --import tsx examples/loopback.ts
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EthConnection } from '@ethwire/interface'
import { DisconnectReason, disconnectReasonName } from '@ethwire/rlp-wire'
import { createLibp2pTransport } from '../src/index.js'

const datadir = await mkdtemp(join(tmpdir(), 'ethwire-example-'))
const a = createLibp2pTransport({}, { datadir, versions: [66, 67, 68] })
const b = createLibp2pTransport({}, { versions: [67, 68, 69] })
// Through the EthTransport interface only: listen, onConnection, dial, close.
const accepted = new Promise<EthConnection>((resolve) => b.onConnection(resolve))
const [addr] = await b.listen()
const out = await a.dial(addr as string)
const inn = await accepted
console.log(`negotiated eth/${out.version} (b sees eth/${inn.version})`)
console.log(`directions: a ${out.direction}, b ${inn.direction}`)

await out.writeMsg(0x03, Uint8Array.of(0xc0))
const msg = await inn.readMsg()
console.log(`b got code 0x${msg.code.toString(16)}, ${msg.size} byte(s)`)

await out.close(DisconnectReason.UselessPeer)
await inn.readMsg().catch(() => {})
const info = inn.closeInfo
console.log(
  `b saw disconnect ${disconnectReasonName(info?.reason ?? -1)} (remote: ${info?.remote})`,
)

await Promise.all([a.close(), b.close()])
await rm(datadir, { recursive: true, force: true })
