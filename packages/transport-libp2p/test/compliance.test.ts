/**
 * The libp2p transport runs the shared compliance suites of `@ethwire/interface/testing` over real
 * libp2p on 127.0.0.1: `transportSuite` on a connected pair of `EthConnection`s and
 * `ethTransportSuite` on the transport itself.
 */
import { ethTransportSuite, transportSuite } from '@ethwire/interface/testing'
import { type ConnectedPair, connectedPair } from '../src/testing.js'
import { createLibp2pTransport } from '../src/transport.js'

const cap = 64 * 1024
let current: ConnectedPair | undefined

await transportSuite({
  name: 'libp2p',
  setup: async () => {
    current = await connectedPair({ maxMessageSizeBytes: cap }, { maxMessageSizeBytes: cap })
    return { outbound: current.outbound, inbound: current.inbound, maxMessageSizeBytes: cap }
  },
  teardown: async () => {
    await current?.stop()
    current = undefined
  },
})

await ethTransportSuite({
  name: 'libp2p',
  create: () => createLibp2pTransport({}, { listen: ['/ip4/127.0.0.1/tcp/0'], versions: [67, 68] }),
})
