/**
 * Task-A behaviour of the split: the Startable lifecycle (start twice, no restart after stop,
 * stop stops the downloader), brand error guards, every fetcher error dropping its peer with the
 * disconnect reason its code calls for, the pool's per-transaction results reaching the tx
 * fetcher, and downloader failures mapped to fitting reasons.
 */
import type { Chain } from '@ethwire/chain'
import { DownloaderError } from '@ethwire/downloader'
import { FetcherError } from '@ethwire/fetcher'
import { bytesToHex, DisconnectReason, type Transaction } from '@ethwire/rlp-wire'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  fromDownloaderError,
  fromFetcherError,
  isProtocolError,
  isProtocolManagerError,
  type PmTxPool,
  ProtocolError,
  type ProtocolManagerEvents,
} from '../src/index.js'
import { attachRemote, waitFor } from '../src/testing.js'
import { extend, localStatusOf, makeTx, newChain, newManager, stopAllAfterEach } from './helpers.js'

let chain: Chain
beforeEach(async () => {
  chain = await newChain()
  await extend(chain, 5)
})
stopAllAfterEach()

/** A pool in memory whose `addRemotes` answers with `results(txs)`. */
function memoryPool(results: (txs: Transaction[]) => unknown[] = (txs) => txs.map(() => null)) {
  const txs = new Map<string, Transaction>()
  const key = (h: Uint8Array) => Buffer.from(h).toString('hex')
  const pool: PmTxPool & { added: Transaction[] } = {
    added: [],
    has: (h) => txs.has(key(h)),
    get: (h) => txs.get(key(h)),
    addRemotes(list) {
      const r = results(list)
      list.forEach((tx, i) => {
        if (r[i] === null) {
          txs.set(key(tx.hash), tx)
          pool.added.push(tx)
        }
      })
      return r
    },
    pendingList: () => [],
  }
  return pool
}

describe('lifecycle', () => {
  it('start() twice is a no-op; start() after stop() rejects with ErrStopped', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    await pm.start()
    await pm.start()
    await pm.stop()
    await pm.stop()
    const err = await pm.start().catch((e: unknown) => e)
    expect(isProtocolManagerError(err, 'ErrStopped')).toBe(true)
    expect(isProtocolError(err)).toBe(false)
  })

  it('stop() stops the downloader: no sync after it', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    await pm.start()
    await pm.stop()
    const err = await pm.parts.downloader
      .synchronise('nobody', new Uint8Array(32))
      .catch((e: unknown) => e)
    expect((err as DownloaderError).code).toBe('ErrTerminated')
  })
})

describe('error guards check the brand', () => {
  it('a ProtocolError from another copy of the package (same name and code) is recognised', () => {
    const foreign = Object.assign(new Error('x'), { name: 'ProtocolError', code: 'ErrDecode' })
    expect(isProtocolError(foreign)).toBe(true)
    expect(isProtocolError(foreign, 'ErrDecode')).toBe(true)
    expect(isProtocolError(foreign, 'ErrBadPeer')).toBe(false)
    expect(isProtocolError(new Error('ErrDecode'))).toBe(false)
    expect(isProtocolError({ name: 'ProtocolError' })).toBe(false)
    expect(isProtocolError(new ProtocolError('ErrBadPeer', 'p', 'm'), 'ErrBadPeer')).toBe(true)
  })
})

describe('disconnect reasons that fit', () => {
  it('downloader failures: timeout → Timeout, bad data → ProtocolError, useless chain → UselessPeer', () => {
    const reason = (code: DownloaderError['code']) =>
      fromDownloaderError('p', new DownloaderError(code, 'x')).disconnectReason
    expect(reason('ErrTimeout')).toBe(DisconnectReason.Timeout)
    for (const c of [
      'ErrBadPeer',
      'ErrInvalidBody',
      'ErrInvalidReceipts',
      'ErrInvalidState',
      'ErrUnrequestedData',
    ] as const)
      expect(reason(c), c).toBe(DisconnectReason.ProtocolError)
    for (const c of ['ErrEmptyHeaderSet', 'ErrInvalidAncestor', 'ErrInvalidChain'] as const)
      expect(reason(c), c).toBe(DisconnectReason.UselessPeer)
    const e = fromDownloaderError('p', new DownloaderError('ErrTimeout', 'x'))
    expect(e.code).toBe('ErrBadPeer')
    expect((e.cause as DownloaderError).code).toBe('ErrTimeout')
  })

  it('fetcher errors: a rejected header → UselessPeer, broken wire rules → ProtocolError', () => {
    const reason = (code: FetcherError['code']) =>
      fromFetcherError('p', new FetcherError(code, 'p', 'x')).disconnectReason
    expect(reason('ErrInvalidHeader')).toBe(DisconnectReason.UselessPeer)
    for (const c of [
      'ErrUnrequestedTx',
      'ErrDuplicateTx',
      'ErrBroadcastBlobTx',
      'ErrTxTypeMismatch',
      'ErrTxSizeMismatch',
      'ErrHeaderNumberMismatch',
      'ErrInvalidBody',
    ] as const)
      expect(reason(c), c).toBe(DisconnectReason.ProtocolError)
    // Not a fetcher error at all (an engine's own error): useless peer.
    expect(fromFetcherError('p', new Error('engine says no')).disconnectReason).toBe(
      DisconnectReason.UselessPeer,
    )
  })
})

describe('every FetcherError drops the peer', () => {
  async function setup(pool: PmTxPool) {
    const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100, acceptTxs: true })
    await pm.start()
    const removed: ProtocolManagerEvents['peer:removed'][] = []
    pm.on('peer:removed', (e) => removed.push(e))
    const local = await localStatusOf(chain)
    const bystander = await attachRemote(pm, { version: 68, local, id: 'bystander' })
    const r = await attachRemote(pm, { version: 68, local, id: 'victim' })
    await waitFor(() => pm.peerCount === 2)
    return { pm, removed, r, bystander }
  }

  it('an unrequested PooledTransactions answer (ErrUnrequestedTx) → ProtocolError', async () => {
    const { pm, removed, r } = await setup(memoryPool())
    await r.send({ name: 'PooledTransactions', requestId: 77n, txs: [makeTx(30)] })
    await r.done
    expect(r.conn.closeInfo).toEqual({ reason: DisconnectReason.ProtocolError, remote: true })
    expect(removed).toMatchObject([
      { id: 'victim', error: 'ErrBadPeer', cause: 'ErrUnrequestedTx', reason: 2 },
    ])
    expect(pm.peerInfos().map((p) => p.id)).toEqual(['bystander'])
  })

  it('the same transaction twice in one Transactions message (ErrDuplicateTx)', async () => {
    const pool = memoryPool()
    const { removed, r } = await setup(pool)
    const tx = makeTx(31)
    await r.send({ name: 'Transactions', txs: [tx, tx] })
    await r.done
    expect(removed).toMatchObject([{ id: 'victim', error: 'ErrBadPeer', cause: 'ErrDuplicateTx' }])
  })

  it('a transaction the pool marks as the peer’s fault (per-tx results reach the fetcher: ErrInvalidTx)', async () => {
    const bad = makeTx(32)
    const good = makeTx(32)
    const pool = memoryPool((txs) =>
      txs.map((t) =>
        bytesToHex(t.hash) === bytesToHex(bad.hash)
          ? { peerFault: true, message: 'blob sidecar does not match' }
          : null,
      ),
    )
    const { removed, r } = await setup(pool)
    await r.send({ name: 'Transactions', txs: [good, bad] })
    await r.done
    expect(removed).toMatchObject([{ id: 'victim', error: 'ErrBadPeer', cause: 'ErrInvalidTx' }])
    expect(r.conn.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
    expect(pool.added.map((t) => bytesToHex(t.hash))).toEqual([bytesToHex(good.hash)])
  })
})
