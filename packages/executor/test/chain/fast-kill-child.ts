// Child process for the fast-sync kill test: stores chain.rlp's blocks with their receipts (no
// execution) in batches of 64 and SIGKILLs itself right before the batch holding block `killAt` is
// written. It first prints the batch's first and last block.
import { readFileSync, writeSync } from 'node:fs'
import { Block, decodeReceipt, hexToBytes, rlpSplitConcat } from '@ethwire/rlp-wire'
import { openExecutedChain } from './executed.js'

const [dir, chainFile, receiptsFile, killAt] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
]
const blocks = rlpSplitConcat(readFileSync(chainFile)).map((b) => Block.decode(b))
const receipts = (JSON.parse(readFileSync(receiptsFile, 'utf8')) as string[][]).map((rs) =>
  rs.map((r) => decodeReceipt(hexToBytes(r))),
)
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
for (let i = 0; i < blocks.length; i += 64)
  await chain.insertReceiptChain(blocks.slice(i, i + 64), receipts.slice(i, i + 64))
await chain.close()
process.stdout.write('done\n')
