/** The package version (read from package.json, next to both src/ and dist/) and the client id. */
import { readFileSync } from 'node:fs'
import { clientName } from './constants.js'

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

export const clientVersion = readVersion()

/** go-ethereum style client id: `ethwire/v0.1.0/linux-x64/node20.20.2`. */
export const clientId = `${clientName}/v${clientVersion}/${process.platform}-${process.arch}/node${process.versions.node}`
