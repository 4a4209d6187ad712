/**
 * eth/70 (EIP-7975) receipt requests. `@ethwire/peerset`'s `Peer.requestReceipts` resolves with
 * the lists only: it can neither send `firstBlockReceiptIndex` nor report `lastBlockIncomplete`.
 * This tracker sends eth/70 `GetReceipts` itself (with its own request ids) and matches the
 * `Receipts` answers, flag included, before the peer sees them (the handler asks the tracker
 * first). The continuation of a cut block lives in the downloader adapter (`adapters.ts`).
 */
import { type Peer, PeerError } from '@ethwire/peerset'
import { ProtocolError } from './errors.js'
import type { RandomSource, ReceiptRequests, ReceiptsAnswer } from './types.js'

export type { ReceiptRequests, ReceiptsAnswer, ReceiptsDelivery } from './types.js'

interface Pending {
  count: number
  resolve(a: ReceiptsAnswer): void
  reject(e: unknown): void
}

export function createReceiptRequests(deps: { random: RandomSource }): ReceiptRequests {
  const byPeer = new Map<Peer, Map<bigint, Pending>>()
  // Ids count up from a random 53-bit start: they do not collide with the peer's own (which are
  // never Receipts requests of an eth/70 peer: every receipts request goes through here).
  let nextId = BigInt(Math.floor(deps.random() * 2 ** 53))
  let pending = 0

  const forget = (peer: Peer, id: bigint) => {
    const m = byPeer.get(peer)
    if (m?.delete(id)) pending--
    if (m !== undefined && m.size === 0) byPeer.delete(peer)
  }

  return {
    request(peer, hashes, firstBlockReceiptIndex, signal) {
      if (peer.closed) return Promise.reject(new PeerError('ErrClosed', `peer ${peer.id} closed`))
      if (signal.aborted) return Promise.reject(signal.reason)
      const id = nextId
      nextId = BigInt.asUintN(64, nextId + 1n)
      return new Promise<ReceiptsAnswer>((resolve, reject) => {
        const onAbort = () => {
          forget(peer, id)
          reject(signal.reason)
        }
        const done = () => signal.removeEventListener('abort', onAbort)
        let m = byPeer.get(peer)
        if (m === undefined) {
          m = new Map()
          byPeer.set(peer, m)
        }
        m.set(id, {
          count: hashes.length,
          resolve: (a) => {
            done()
            resolve(a)
          },
          reject: (e) => {
            done()
            reject(e)
          },
        })
        pending++
        signal.addEventListener('abort', onAbort, { once: true })
        peer
          .send({ name: 'GetReceipts', requestId: id, hashes, firstBlockReceiptIndex })
          .catch((err: unknown) => {
            const e = byPeer.get(peer)?.get(id)
            forget(peer, id)
            e?.reject(err)
          })
      })
    },

    deliver(peer, msg) {
      const id = msg.requestId
      const e = id === undefined ? undefined : byPeer.get(peer)?.get(id)
      if (e === undefined || id === undefined) return 'not-ours'
      forget(peer, id)
      if (msg.receipts.length > e.count) {
        e.reject(
          new ProtocolError(
            'ErrInvalidReceipts',
            peer.id,
            `${msg.receipts.length} receipt lists for ${e.count} blocks asked`,
            { msgCode: 0x10 },
          ),
        )
        return 'invalid'
      }
      e.resolve({ receipts: msg.receipts, lastBlockIncomplete: msg.lastBlockIncomplete ?? false })
      return 'matched'
    },

    removePeer(peer) {
      const m = byPeer.get(peer)
      if (m === undefined) return
      byPeer.delete(peer)
      pending -= m.size
      const err = new PeerError('ErrClosed', `peer ${peer.id} closed`)
      for (const e of m.values()) e.reject(err)
    },

    get pending() {
      return pending
    },
  }
}
