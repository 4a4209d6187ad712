// Child process for the execution kill test: imports chain.rlp with execution and SIGKILLs itself at a
// chosen point — right before the batch of block `killAt` is written (the batch is built: block,
// state ops, receipts, lookups, head pointers), so that block must be absent after restart.
import { importChainFile } from '../src/index.js'
import { openExecutedChain } from './executed.js'

const [dir, file, killAt] = process.argv.slice(2) as [string, string, string]
const chain = await openExecutedChain({
  location: dir,
  beforeBatchWrite: ({ blockNumber }) => {
    if (blockNumber === BigInt(killAt)) process.kill(process.pid, 'SIGKILL')
  },
})
await importChainFile(chain, file, undefined, { batchBlocks: 64 })
await chain.close()
process.stdout.write('done\n')
