// Child process for the execution kill test: imports chain.rlp with execution and SIGKILLs itself at a
// chosen point — right before the batch holding block `killAt` is written (the batch is built: its
// blocks, state ops, receipts, lookups, head pointers). It first prints the batch's first block.
import { writeSync } from 'node:fs'
import { importChainFile } from '@ethwire/chain'
import { openExecutedChain } from './executed.js'

const [dir, file, killAt] = process.argv.slice(2) as [string, string, string]
const chain = await openExecutedChain({
  location: dir,
  beforeBatchWrite: ({ firstBlock, blockNumber }) => {
    const k = BigInt(killAt)
    if (firstBlock <= k && k <= blockNumber) {
      writeSync(1, `batch ${firstBlock} ${blockNumber}\n`)
      process.kill(process.pid, 'SIGKILL')
    }
  },
})
await importChainFile(chain, file, undefined, { batchBlocks: 64 })
await chain.close()
process.stdout.write('done\n')
