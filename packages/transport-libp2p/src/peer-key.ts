/**
 * The node's libp2p key, kept in the data directory so the peer id survives restarts.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorCode } from '@ethwire/interface/runtime'
import type { PrivateKey } from '@libp2p/interface'
import { peerKeyFileName } from './constants.js'
import { TransportError } from './errors.js'
import { loadCryptoKeys } from './modules.js'

/**
 * Reads `<datadir>/libp2p-node-key` (a protobuf-encoded libp2p private key), or creates an Ed25519
 * key there (mode 0600, written atomically) when the file does not exist. A file that exists but
 * cannot be decoded is an error (`TransportError('ErrPeerKey')`), never silently replaced.
 */
export async function loadOrCreatePeerKey(datadir: string): Promise<PrivateKey> {
  const { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } = await loadCryptoKeys()
  const file = join(datadir, peerKeyFileName)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(file)
  } catch (err) {
    if (errorCode(err) !== 'ENOENT')
      throw new TransportError('ErrPeerKey', `cannot read ${file}`, { cause: err })
  }
  if (bytes !== undefined) {
    try {
      return privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new TransportError('ErrPeerKey', `${file} does not hold a libp2p private key`, {
        cause: err,
      })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(datadir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 })
  await rename(tmp, file)
  return key
}
