/**
 * `loadOrCreatePeerKey` in a browser (package.json `browser` maps `peer-key` here): there is no
 * data directory. Pass `privateKey` (or nothing, for a fresh key per page load) instead of
 * `datadir`.
 */
import type { PrivateKey } from '@libp2p/interface'
import { TransportError } from './errors.js'

export async function loadOrCreatePeerKey(datadir: string): Promise<PrivateKey> {
  throw new TransportError(
    'ErrPeerKey',
    `no data directory in a browser (${datadir}): pass options.privateKey, or nothing for a fresh key`,
  )
}
