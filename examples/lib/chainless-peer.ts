/**
 * What both examples need to be an eth peer without a chain database, beyond the Status
 * exchange (that is `chainlessHandshake` of `@ethwire/handshake`, which takes the genesis hash
 * from the peer and our fork schedule from a genesis file):
 *
 * - reading the genesis file (`node:fs`; the browser demo fetches it instead).
 * - empty answers to the peer's requests: we have no blocks, receipts or pooled transactions.
 * - redialing a peer that went away.
 */
import { readFileSync } from 'node:fs'
import { type ChainlessNetwork, networkFromGenesis } from '@ethwire/handshake'
import type { Peer } from '@ethwire/peerset'
import type { EthMessage } from '@ethwire/rlp-wire'

/** Reads a go-ethereum `genesis.json` (what `geth init` or `ethwire init` takes). */
export function readGenesisFile(path: string, networkId?: bigint): ChainlessNetwork {
  try {
    return networkFromGenesis(JSON.parse(readFileSync(path, 'utf8')), networkId)
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Answers a request of the peer with an empty response (we keep no chain and no pool): peers
 * that ask us for something get an answer instead of a timeout. Returns false when `msg` is not
 * a request.
 */
export async function answerEmpty(peer: Peer, msg: EthMessage): Promise<boolean> {
  const requestId = 'requestId' in msg ? msg.requestId : undefined
  const id = requestId === undefined ? {} : { requestId }
  switch (msg.name) {
    case 'GetBlockHeaders':
      await peer.reply({ name: 'BlockHeaders', ...id, headers: [] })
      return true
    case 'GetBlockBodies':
      await peer.reply({ name: 'BlockBodies', ...id, bodies: [] })
      return true
    case 'GetReceipts':
      await peer.reply({ name: 'Receipts', ...id, receipts: [] })
      return true
    case 'GetNodeData':
      await peer.reply({ name: 'NodeData', ...id, data: [] })
      return true
    case 'GetPooledTransactions':
      await peer.reply({ name: 'PooledTransactions', ...id, txs: [] })
      return true
    default:
      return false
  }
}

/** The first 8 hex digits of a peer id (a node id or a libp2p peer id). */
export const shortId = (id: string): string => id.slice(0, 8)

/**
 * Runs `session` for `address` again and again until `signal` aborts: each run dials and serves
 * one connection until it ends. Between runs it waits 1 s, doubling up to 30 s (back to 1 s
 * after a connection that lasted a minute).
 */
export async function keepConnected(
  address: string,
  session: (address: string) => Promise<void>,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let backoffMs = 1_000
  while (!signal.aborted) {
    const started = Date.now()
    try {
      await session(address)
    } catch (err) {
      if (signal.aborted) return
      log(`${address.slice(0, 24)}…: ${(err as Error).message}`)
    }
    if (signal.aborted) return
    if (Date.now() - started > 60_000) backoffMs = 1_000
    log(`redialing in ${backoffMs / 1000} s`)
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, backoffMs)
      function done() {
        clearTimeout(t)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
    backoffMs = Math.min(backoffMs * 2, 30_000)
  }
}
