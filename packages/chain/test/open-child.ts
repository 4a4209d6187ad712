// Child process for the read-only data directory tests: opens a chain at argv[2] (with the genesis
// file argv[3], if given) as the user it runs as (the tests run it as `nobody` when they are root,
// since root writes anywhere) and prints the outcome as one JSON line.
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
