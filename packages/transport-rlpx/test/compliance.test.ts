/**
 * RLPx runs the shared compliance suites of `@ethwire/interface/testing`: `transportSuite` on the
 * eth streams of real transports over TCP on 127.0.0.1 (and on a session pair over in-memory
 * sockets), and `ethTransportSuite` on the transport itself.
 */
import { ethTransportSuite, transportSuite } from '@ethwire/interface/testing'
import { randomSecretKey } from '../src/ecies.js'
import type { RlpxStream } from '../src/session.js'
import { rlpxSessionPair, type SessionPair } from '../src/testing.js'
import { createRlpxTransport, type RlpxTransport } from '../src/transport.js'
import { systemRandom } from '../src/types.js'

const cap = 64 * 1024
const options = () => ({
  nodeKey: randomSecretKey(systemRandom),
  listen: { host: '127.0.0.1', port: 0 },
  maxMessageSizeBytes: cap,
  disconnectGraceMs: 2_000,
})
let transports: RlpxTransport[] = []

await transportSuite({
  name: 'RLPx over TCP',
  setup: async () => {
    const listener = createRlpxTransport(options())
    const dialer = createRlpxTransport(options())
    transports = [dialer, listener]
    const inbound = new Promise<RlpxStream>((resolve) => listener.onConnection(resolve))
    const [enode] = await listener.listen()
    const outbound = await dialer.dial(enode as string)
    return { outbound, inbound: await inbound, maxMessageSizeBytes: cap }
  },
  teardown: async () => {
    await Promise.all(transports.map((t) => t.close()))
    transports = []
  },
})

let memory: SessionPair | undefined

await transportSuite({
  name: 'RLPx session over memory sockets',
  setup: async () => {
    memory = await rlpxSessionPair({
      session: { maxMessageSizeBytes: cap, disconnectGraceMs: 500 },
    })
    return { outbound: memory.ethA, inbound: memory.ethB, maxMessageSizeBytes: cap }
  },
  teardown: async () => {
    await memory?.close()
    memory = undefined
  },
})

await ethTransportSuite({ name: 'RLPx', create: () => createRlpxTransport(options()) })
