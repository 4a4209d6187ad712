/** msgPipe runs the shared EthConnection compliance suite (`@ethwire/interface/testing`). */
import { transportSuite } from '@ethwire/interface/testing'
import { msgPipe } from '../src/testing.js'

const cap = 4096

await transportSuite({
  name: 'msgPipe',
  setup: async () => {
    const [outbound, inbound] = msgPipe({ version: 68, maxMessageSize: cap })
    return { outbound, inbound, maxMessageSizeBytes: cap }
  },
  teardown: async () => {},
})
