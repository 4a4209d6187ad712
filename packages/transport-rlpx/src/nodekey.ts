/** The node's static secp256k1 key, kept as hex in `<datadir>/nodekey` (like geth's). */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorCode } from '@ethwire/interface/runtime'
import { fromHex, toHex } from './bytes.js'
import { nodeKeyFileName } from './constants.js'
import { isValidSecretKey, publicKeyOf, randomSecretKey } from './ecies.js'
import { RlpxError } from './errors.js'
import { type RandomBytes, systemRandom } from './types.js'

/**
 * Reads the node key from `<datadir>/nodekey`, or creates one (mode 0600, written atomically)
 * when the file does not exist. A file that is not 64 hex characters of a valid key throws
 * `RlpxError('ErrInvalidNodeKey')` — it is never silently replaced.
 */
export async function loadOrCreateNodeKey(
  datadir: string,
  opts: { random?: RandomBytes; fileName?: string } = {},
): Promise<Uint8Array> {
  const file = join(datadir, opts.fileName ?? nodeKeyFileName)
  let text: string | undefined
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err
  }
  if (text !== undefined) {
    const hex = text.trim()
    let key: Uint8Array | undefined
    try {
      key = /^(0x)?[0-9a-fA-F]{64}$/.test(hex) ? fromHex(hex) : undefined
    } catch {
      key = undefined
    }
    if (!key || !isValidSecretKey(key))
      throw new RlpxError('ErrInvalidNodeKey', `${file} does not hold a valid node key`)
    return key
  }
  const key = randomSecretKey(opts.random ?? systemRandom)
  await mkdir(datadir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, toHex(key), { mode: 0o600 })
  await rename(tmp, file)
  return key
}

/** The 64-byte node id (public key) of a node key, and as hex. */
export function nodeIdOf(nodeKey: Uint8Array): Uint8Array {
  return publicKeyOf(nodeKey)
}
