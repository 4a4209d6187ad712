/**
 * Process-level network benches of the ethwire CLI on loopback (not run in CI):
 *
 *   pnpm bench                 # all: sync, txs, blocks, exec, fastsync
 *   pnpm bench -- sync txs     # a subset
 *   pnpm bench -- rpc          # JSON-RPC req/s beside ganache 7.9 (not in the default set)
 *
 * Sizes can be lowered through environment variables (SYNC_BENCH_BLOCKS, TX_BENCH_TXS,
 * TX_BENCH_NODES, BLOCK_BENCH_NODES, BLOCK_BENCH_BLOCKS, FASTSYNC_BENCH_ACCOUNTS, …) for a quick look.
 */
import { runBlockBench } from './blocks.js'
import { log } from './common.js'
import { runExecBench } from './exec.js'
import { runFastSyncBench } from './fastsync.js'
import { runMetricsSyncBench } from './metrics-sync.js'
import { runRpcBench } from './rpc.js'
import { runSyncBench } from './sync.js'
import { runTxBench } from './txs.js'

const all: Record<string, () => Promise<void>> = {
  sync: runSyncBench,
  txs: () => runTxBench(),
  blocks: runBlockBench,
  exec: runExecBench,
  'metrics-sync': runMetricsSyncBench,
  fastsync: runFastSyncBench,
  rpc: runRpcBench,
}
const picked = process.argv.slice(2).filter((a) => a !== '--')
const names =
  picked.length > 0 ? picked : Object.keys(all).filter((n) => n !== 'metrics-sync' && n !== 'rpc')
for (const name of names) {
  const run = all[name]
  if (!run) {
    process.stderr.write(`unknown bench ${name}; choose from ${Object.keys(all).join(', ')}\n`)
    process.exit(2)
  }
  const t0 = performance.now()
  await run()
  log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
