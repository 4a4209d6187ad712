// Child process for the kill test: imports chain.rlp in small batches and reports progress on stdout.
import { importChainFile, openChain } from '../src/index.js'

const [dir, file] = process.argv.slice(2) as [string, string]
const chain = await openChain({ location: dir })
await importChainFile(chain, file, (p) => process.stdout.write(`head ${p.head}\n`), {
  batchBlocks: 5,
})
await chain.close()
process.stdout.write('done\n')
