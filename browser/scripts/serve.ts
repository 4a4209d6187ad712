/**
 * `pnpm browser-demo` (from the repository root): a dev node listening for libp2p on WebSockets and
 * the page on 127.0.0.1; prints the URL to open. Ctrl-C stops everything.
 *
 *   pnpm browser-demo [--port 8080] [--ws-port 0] [--blocks 1200] [--period 5] [--last 1000]
 *                     [--datadir dir] [--verbose]
 */
import { parseArgs } from 'node:util'
import { createLogger } from '@ethwire/node'
import { startDemo } from './demo-server.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'ws-port': { type: 'string', default: '0' },
    blocks: { type: 'string', default: '1200' },
    period: { type: 'string', default: '5' },
    last: { type: 'string', default: '1000' },
    datadir: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(
    'usage: pnpm browser-demo [--port 8080] [--ws-port 0] [--blocks 1200] [--period 5] [--last 1000] [--datadir dir] [--verbose]',
  )
  process.exit(0)
}
const log = (line: string) => console.error(`[demo] ${line}`)
const demo = await startDemo({
  httpPort: Number(values.port),
  wsPort: Number(values['ws-port']),
  blocks: Number(values.blocks),
  periodSeconds: Number(values.period),
  last: Number(values.last),
  ...(values.datadir === undefined ? {} : { datadir: values.datadir }),
  ...(values.verbose ? { logger: createLogger(3) } : {}),
  log,
})
const head = demo.node.chain.currentHeader()
log(`dev node at #${head.number}, a new block every ${values.period} s`)
log(`libp2p WebSockets: ${demo.wsAddress} (the node's own, --ws.libp2p)`)
console.log(`\nopen ${demo.url}\n`)

let stopping = false
const shutdown = async () => {
  if (stopping) return
  stopping = true
  log('stopping')
  await demo.stop()
  log('stopped')
}
process.once('SIGINT', () => void shutdown())
process.once('SIGTERM', () => void shutdown())
