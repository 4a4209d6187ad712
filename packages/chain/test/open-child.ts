// Child process for the read-only data directory tests: opens a chain at argv[2] (with the genesis
// file argv[3], if given) and prints the outcome as one JSON line. When the tests run as root they
// start it through `setpriv` with every capability dropped (uid 0 kept, so a checkout under a 0700
// directory stays readable), so the permission bits of the read-only directory apply to it.
import { readFileSync } from 'node:fs'
import { errorCode } from '@ethwire/interface/runtime'
import { openChain } from '../src/index.js'

const [location, genesisFile] = process.argv.slice(2) as [string, string | undefined]
try {
  const chain = await openChain(
    { location },
    genesisFile ? { genesis: readFileSync(genesisFile, 'utf8') } : {},
  )
  await chain.close()
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`)
} catch (e) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, code: errorCode(e), message: (e as Error).message })}\n`,
  )
}
