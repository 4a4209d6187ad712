// Import of the 600-block ethtest chain (header + body checks, one batch per 256 blocks).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { importChainFile, openChain } from '../src/index.js'

const fx = join(import.meta.dirname, '..', 'test', 'fixtures')
const genesis = readFileSync(join(fx, 'genesis.json'), 'utf8')
for (let run = 0; run < 3; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'chain-bench-'))
  const chain = await openChain({ location: dir }, { genesis })
  const t0 = performance.now()
  const p = await importChainFile(chain, join(fx, 'chain.rlp'))
  const ms = performance.now() - t0
  console.log(
    `run ${run}: ${p.inserted} blocks in ${ms.toFixed(0)} ms = ${((p.inserted / ms) * 1000).toFixed(0)} blocks/s`,
  )
  await chain.close()
  rmSync(dir, { recursive: true, force: true })
}
console.log(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
