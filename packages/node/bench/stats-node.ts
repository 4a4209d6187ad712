/**
 * Bench-only node entry: the same flags as `ethwire` (run mode), the same JSON-RPC methods, plus
 * `debug_wireStats` — the protocol manager's counters (`pm.stats()`) and the downloader's header
 * progress — which the CLI does not expose. Used by the benches through `Cluster({ entry })`.
 */
import {
  createLogger,
  createNode,
  createRpcMethods,
  parseArgs,
  startRpcServer,
} from '@ethwire/node'

const { command, flags } = parseArgs(process.argv.slice(2))
if (command !== undefined) throw new Error(`stats-node runs a node only, not ${command}`)
const log = createLogger(flags.verbosity)
const node = createNode({
  datadir: flags.datadir,
  networkId: flags.networkid,
  listenHost: flags.addr,
  port: flags.port,
  rlpxPort: flags['rlpx.port'],
  http: undefined,
  bootnodes: flags.bootnodes,
  maxPeers: flags.maxpeers,
  dev: flags.dev ? { periodSeconds: flags['dev.period'] } : undefined,
  fakePow: flags.fakepow,
  syncIntervalMs: flags.syncinterval,
  minSyncPeers: flags.minsyncpeers,
  ethVersions: flags.eth.length ? flags.eth : undefined,
  txAnnounce: flags.txannounce,
  logger: log,
})
await node.start()
const rpc = await startRpcServer(
  {
    ...createRpcMethods(node),
    debug_wireStats: () => {
      const p = node.pm.parts.downloader.progress()
      return {
        ...node.pm.stats(),
        // Headers known to the downloader: imported blocks plus header slots waiting for bodies/import.
        headersDownloaded: Number(p.currentBlock) + p.pendingResults,
        syncHighest: Number(p.highestBlock),
      }
    },
  },
  { host: flags['http.addr'], port: flags['http.port'] },
)
log.info('HTTP server started (stats-node)', { url: rpc.url })

let stopping = false
const stop = async () => {
  if (stopping) process.exit(130)
  stopping = true
  await rpc.close()
  await node.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
