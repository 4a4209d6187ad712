// Child process for the kill test: imports chain.rlp in batches of 5 blocks and SIGKILLs itself right
// before the batch holding block `killAt` is written (a chosen point, not a race with the parent).
// It prints that batch's first and last block first.
import { writeSync } from 'node:fs'
import { importChainFile, openChain } from '../src/index.js'

const [dir, file, killAt] = process.argv.slice(2) as [string, string, string]
const chain = await openChain({
  location: dir,
  beforeBatchWrite: ({ firstBlock, blockNumber }) => {
    const k = BigInt(killAt)
    if (firstBlock <= k && k <= blockNumber) {
      writeSync(1, `batch ${firstBlock} ${blockNumber}\n`)
      process.kill(process.pid, 'SIGKILL')
    }
  },
})
await importChainFile(chain, file, undefined, { batchBlocks: 5 })
await chain.close()
process.stdout.write('done\n')
