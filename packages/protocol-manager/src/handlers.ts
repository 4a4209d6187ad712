/**
 * One handler per message code, and the table of each eth version (go-ethereum's
 * `eth/protocols/eth/handler.go` tables): a code the version lacks has no entry, a Status after
 * the handshake is an error, eth/69 refuses block announcements.
 *
 * Flood limits (`ctx.limits`): announced hashes (NewBlockHashes entries, NewPooledTransactionHashes
 * hashes, Transactions broadcast) are taken from the peer's `announcements` bucket (refused: the
 * message is ignored and reported as `flood`); a request is served after
 * `acquire` of what the answer holds, so a peer that asks for more than the rate gets it later,
 * on its own serving queue (`ctx.schedule`); hashes asked for that we do not have are taken from
 * `unknownHashRequests` (refused: an empty answer and a `flood` report). Answers that match a
 * request but cannot be its answer, and answers to nothing, are reported (`ctx.report`).
 */
import type { FloodKind, OffenceKind, Peer } from '@ethwire/peerset'
import {
  checkBody,
  decodeMessage,
  type EthMessage,
  type EthMessageOf,
  isWireError,
  type Msg,
  MsgCode,
  type MsgName,
  messageCodes,
} from '@ethwire/rlp-wire'
import { toFetcherPeer } from './adapters.js'
import { maxNewBlockTd } from './constants.js'
import { ProtocolError } from './errors.js'
import {
  answerGetBlockBodies,
  answerGetBlockBodiesRaw,
  answerGetBlockHeaders,
  answerGetNodeData,
  answerGetPooledTransactions,
  answerGetReceipts,
  answerGetReceiptsEth70,
  type ServeCounts,
  serveLimits,
} from './serve.js'
import type { HandlerContext } from './types.js'

export type { HandlerContext } from './types.js'

export type MsgHandler = (ctx: HandlerContext, peer: Peer, msg: Msg) => Promise<void>

/** Decodes `msg` for the peer's version; a failure is the peer's `ErrDecode`. */
function decode<N extends MsgName>(peer: Peer, msg: Msg, _name: N): EthMessageOf<N> {
  try {
    return decodeMessage(peer.version, msg) as EthMessageOf<N>
  } catch (err) {
    if (isWireError(err)) {
      throw new ProtocolError(
        'ErrDecode',
        peer.id,
        `undecodable message 0x${msg.code.toString(16)}: ${err.message}`,
        { cause: err, wireCode: err.code, msgCode: msg.code },
      )
    }
    throw err
  }
}

async function reply(peer: Peer, msg: EthMessage): Promise<void> {
  await peer.reply(msg)
}

/** Reports an offence through the context (only logged without a reporter). */
function report(
  ctx: HandlerContext,
  peer: Peer,
  kind: OffenceKind,
  detail: string,
  cause?: unknown,
): void {
  if (ctx.report !== undefined) ctx.report(peer, kind, detail, cause)
  else ctx.log.debug('peer offence', { peer: peer.id, kind, detail })
}

/**
 * Runs the serving of a request: on the peer's serving queue when the context has one (resolves
 * once queued), else now.
 */
function serve(
  ctx: HandlerContext,
  peer: Peer,
  work: (signal: AbortSignal | undefined) => Promise<void>,
): Promise<void> {
  return ctx.schedule !== undefined ? ctx.schedule(peer, work) : work(undefined)
}

/** Waits until `n` items of `kind` may be served to `peer` (at once without limits). */
async function paced(
  ctx: HandlerContext,
  peer: Peer,
  kind: FloodKind | 'nodeDataServed',
  n: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (n <= 0) return
  const opts = signal !== undefined ? { signal } : {}
  if (kind === 'nodeDataServed') {
    if (ctx.nodeDataLimits !== undefined) await ctx.nodeDataLimits.acquire(peer.id, n, opts)
    return
  }
  if (ctx.limits !== undefined) await ctx.limits.acquire(peer.id, kind, n, opts)
}

/**
 * Whether the hashes `peer` asked for that we do not have fit its `unknownHashRequests` bucket;
 * when they do not, the request is reported as a flood and answered empty.
 */
function unknownAllowed(ctx: HandlerContext, peer: Peer, what: string, c: ServeCounts): boolean {
  if (ctx.limits === undefined || c.misses <= 0) return true
  const r = ctx.limits.take(peer.id, 'unknownHashRequests', c.misses)
  if (r.allowed) return true
  report(ctx, peer, 'flood', `${what}: ${c.misses} unknown hashes over the limit, answered empty`)
  return false
}

/** Whether `n` announced hashes fit `peer`'s `announcements` bucket; if not, reports a flood. */
function announceAllowed(ctx: HandlerContext, peer: Peer, what: string, n: number): boolean {
  if (ctx.limits === undefined || n <= 0) return true
  const r = ctx.limits.take(peer.id, 'announcements', n)
  if (r.allowed) return true
  report(ctx, peer, 'flood', `${what}: ${n} hashes over the announcement limit, ignored`)
  return false
}

/** A response that matched a request but cannot be its answer (more items than asked). */
function invalidDelivery(ctx: HandlerContext, peer: Peer, what: string, n: number): void {
  report(ctx, peer, 'badResponse', `${what} with ${n} items: more than asked`)
}

// ------------------------------------------------------------------------------------------------
// Handlers

const onStatus: MsgHandler = async (_ctx, peer) => {
  throw new ProtocolError('ErrExtraStatusMsg', peer.id, 'Status after the handshake', {
    msgCode: MsgCode.Status,
  })
}

const onGetBlockHeaders: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetBlockHeaders')
  await serve(ctx, peer, async (signal) => {
    const counts: ServeCounts = { misses: 0 }
    const { headers, skipOverflow } = await answerGetBlockHeaders(
      ctx.chain,
      msg.request,
      { ...serveLimits(peer.version), ...ctx.serveLimits },
      counts,
    )
    if (skipOverflow) {
      ctx.log.warn('GetBlockHeaders skip overflow attack', {
        peer: peer.id,
        skip: msg.request.skip,
        remoteAddress: peer.conn.remoteAddress,
      })
    }
    const out = unknownAllowed(ctx, peer, 'GetBlockHeaders', counts) ? headers : []
    await paced(ctx, peer, 'headersServed', out.length, signal)
    await reply(peer, { name: 'BlockHeaders', requestId: msg.requestId, headers: out })
  })
}

const onGetBlockBodies: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetBlockBodies')
  await serve(ctx, peer, async (signal) => {
    const counts: ServeCounts = { misses: 0 }
    const chain = ctx.chain
    if (chain.getBodyRlp !== undefined) {
      // the stored RLP as it is: no decoding and re-encoding of every transaction
      const raw = await answerGetBlockBodiesRaw((h) => chain.getBodyRlp!(h), msg.hashes, counts)
      const out = unknownAllowed(ctx, peer, 'GetBlockBodies', counts) ? raw : []
      await paced(ctx, peer, 'bodiesServed', out.length, signal)
      await reply(peer, {
        name: 'BlockBodies',
        requestId: msg.requestId,
        bodies: [],
        rawBodies: out,
      })
      return
    }
    const bodies = await answerGetBlockBodies(chain, msg.hashes, counts)
    const out = unknownAllowed(ctx, peer, 'GetBlockBodies', counts) ? bodies : []
    await paced(ctx, peer, 'bodiesServed', out.length, signal)
    await reply(peer, { name: 'BlockBodies', requestId: msg.requestId, bodies: out })
  })
}

const onGetReceipts: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetReceipts')
  await serve(ctx, peer, async (signal) => {
    const counts: ServeCounts = { misses: 0 }
    if (peer.version >= 70) {
      // EIP-7975: the first list from firstBlockReceiptIndex on, a block over the packet cap cut.
      const { receipts, lastBlockIncomplete } = await answerGetReceiptsEth70(
        ctx.chain,
        msg.hashes,
        msg.firstBlockReceiptIndex ?? 0n,
        { ...serveLimits(peer.version), ...ctx.serveLimits },
        counts,
      )
      const ok = unknownAllowed(ctx, peer, 'GetReceipts', counts)
      const out = ok ? receipts : []
      await paced(ctx, peer, 'receiptsServed', out.length, signal)
      await reply(peer, {
        name: 'Receipts',
        requestId: msg.requestId,
        receipts: out,
        lastBlockIncomplete: ok && lastBlockIncomplete,
      })
      return
    }
    const receipts = await answerGetReceipts(ctx.chain, msg.hashes, counts)
    const out = unknownAllowed(ctx, peer, 'GetReceipts', counts) ? receipts : []
    await paced(ctx, peer, 'receiptsServed', out.length, signal)
    await reply(peer, { name: 'Receipts', requestId: msg.requestId, receipts: out })
  })
}

const onGetNodeData: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetNodeData')
  await serve(ctx, peer, async (signal) => {
    const counts: ServeCounts = { misses: 0 }
    const data = await answerGetNodeData(ctx.chain, msg.hashes, counts)
    const out = unknownAllowed(ctx, peer, 'GetNodeData', counts) ? data : []
    await paced(ctx, peer, 'nodeDataServed', out.length, signal)
    await reply(peer, { name: 'NodeData', requestId: msg.requestId, data: out })
  })
}

const onGetPooledTransactions: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetPooledTransactions')
  await serve(ctx, peer, async (signal) => {
    // Before the first sync we take no part in transaction exchange: answer empty, so the
    // requester is not left waiting for its timeout.
    const counts: ServeCounts = { misses: 0 }
    // A hash the peer knows (we announced or sent it, or it announced it, which its announcement
    // bucket already paid for) is legitimate gossip even when the transaction has left the pool
    // since (mined in the meantime): only hashes from nowhere count against the unknown-hash limit.
    const txs = ctx.acceptTxs
      ? answerGetPooledTransactions(ctx.txPool, msg.hashes, counts, (h) => peer.knowsTx(h))
      : []
    const out = unknownAllowed(ctx, peer, 'GetPooledTransactions', counts) ? txs : []
    await paced(ctx, peer, 'pooledTransactionsServed', out.length, signal)
    await reply(peer, { name: 'PooledTransactions', requestId: msg.requestId, txs: out })
  })
}

const onBlockHeaders: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'BlockHeaders')
  const d = peer.deliver(msg)
  if (d === 'invalid') invalidDelivery(ctx, peer, 'BlockHeaders', msg.headers.length)
  if (d !== 'unsolicited') return
  // Not an answer to a pending request: maybe a late answer to the block fetcher; whatever it
  // does not take was sent unasked.
  const rest = ctx.blockFetcher.filterHeaders(peer.id, msg.headers)
  if (rest.length > 0) unrequested(ctx, peer, 'BlockHeaders')
}

const onBlockBodies: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'BlockBodies')
  const d = peer.deliver(msg)
  if (d === 'invalid') invalidDelivery(ctx, peer, 'BlockBodies', msg.bodies.length)
  if (d !== 'unsolicited') return
  const rest = ctx.blockFetcher.filterBodies(peer.id, msg.bodies)
  if (rest.length > 0) unrequested(ctx, peer, 'BlockBodies')
}

const onReceipts: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'Receipts')
  if (peer.version >= 70 && ctx.receipts !== undefined) {
    const d = ctx.receipts.deliver(peer, msg)
    if (d === 'invalid') {
      throw new ProtocolError(
        'ErrInvalidReceipts',
        peer.id,
        `more receipt lists than blocks asked`,
        { msgCode: raw.code },
      )
    }
    if (d === 'matched') return
  }
  const d = peer.deliver(msg)
  if (d === 'invalid') invalidDelivery(ctx, peer, 'Receipts', msg.receipts.length)
  if (d === 'unsolicited' && msg.receipts.length > 0) unrequested(ctx, peer, 'Receipts')
}

const onNodeData: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'NodeData')
  const d = peer.deliver(msg)
  if (d === 'invalid') invalidDelivery(ctx, peer, 'NodeData', msg.data.length)
  if (d === 'unsolicited' && msg.data.length > 0) unrequested(ctx, peer, 'NodeData')
}

/** How many of `txs` the pool already holds (a duplicate copy, for the stats). */
const countKnown = (ctx: HandlerContext, txs: readonly { hash: Uint8Array }[]): number => {
  let n = 0
  for (const tx of txs) if (ctx.txPool?.has(tx.hash)) n++
  return n
}

const onPooledTransactions: MsgHandler = async (ctx, peer, raw) => {
  ctx.stats.txMessagesReceived++
  ctx.stats.txBytesReceived += raw.size
  const msg = decode(peer, raw, 'PooledTransactions')
  ctx.stats.pooledTxBytesReceived += raw.size
  ctx.stats.pooledTxsReceived += msg.txs.length
  ctx.stats.pooledTxsKnown += countKnown(ctx, msg.txs)
  peer.observe(msg)
  // A matched answer goes to the tx fetcher through the request's promise. An unsolicited one
  // may be a late answer to a request that timed out: the tx fetcher decides.
  const d = peer.deliver(msg)
  if (d === 'invalid') invalidDelivery(ctx, peer, 'PooledTransactions', msg.txs.length)
  if (d === 'unsolicited' && ctx.acceptTxs) ctx.txFetcher.enqueue(peer.id, msg.txs, true)
}

const onTransactions: MsgHandler = async (ctx, peer, raw) => {
  ctx.stats.txMessagesReceived++
  ctx.stats.txBytesReceived += raw.size
  if (!ctx.acceptTxs) return // go-ethereum: not before the initial sync
  const msg = decode(peer, raw, 'Transactions')
  ctx.stats.txBroadcastBytesReceived += raw.size
  ctx.stats.txsBroadcastReceived += msg.txs.length
  ctx.stats.txsBroadcastKnown += countKnown(ctx, msg.txs)
  if (!announceAllowed(ctx, peer, 'Transactions', msg.txs.length)) return
  peer.observe(msg) // the peer knows them: never send them back
  ctx.txFetcher.enqueue(peer.id, msg.txs, false) // → txPool.addRemotes
}

const onNewPooledTransactionHashes: MsgHandler = async (ctx, peer, raw) => {
  if (!ctx.acceptTxs) return
  const msg = decode(peer, raw, 'NewPooledTransactionHashes')
  ctx.stats.txAnnounceBytesReceived += raw.size
  ctx.stats.txHashesAnnounced += msg.hashes.length
  for (const h of msg.hashes) if (ctx.txPool?.has(h)) ctx.stats.txHashesAnnouncedKnown++
  if (!announceAllowed(ctx, peer, 'NewPooledTransactionHashes', msg.hashes.length)) return
  peer.observe(msg)
  ctx.txFetcher.notify(peer.id, msg.hashes, msg.types, msg.sizes)
}

const onNewBlockHashes: MsgHandler = async (ctx, peer, raw) => {
  ctx.stats.newBlockHashesReceived++
  const msg = decode(peer, raw, 'NewBlockHashes')
  if (!announceAllowed(ctx, peer, 'NewBlockHashes', msg.entries.length)) return
  peer.observe(msg)
  // Fire and forget: the fetcher owns the timeout (it decides when to ask someone else and
  // aborts the signal once it no longer waits); the peer only matches the answer.
  const { fetchHeader, fetchBodies } = toFetcherPeer(peer, ctx)
  for (const e of msg.entries) {
    if (await ctx.chain.hasBlock(e.hash, e.number)) continue
    ctx.blockFetcher.notify({
      peerId: peer.id,
      hash: e.hash.slice(),
      number: e.number,
      fetchHeader,
      fetchBodies,
    })
  }
}

const onNewBlock: MsgHandler = async (ctx, peer, raw) => {
  ctx.stats.newBlockReceived++
  const msg = decode(peer, raw, 'NewBlock')
  if (msg.td >= maxNewBlockTd) {
    throw new ProtocolError(
      'ErrInvalidNewBlock',
      peer.id,
      `NewBlock TD of ${msg.td.toString(2).length} bits`,
      {
        msgCode: raw.code,
      },
    )
  }
  // go-ethereum's handleNewBlock: the body must match the header (transactions, uncles,
  // withdrawals roots) before the block counts for anything: a mismatch is the sender's fault and
  // must not move what we know of its head.
  try {
    checkBody(msg.block.header, msg.block.body())
  } catch (err) {
    if (!isWireError(err)) throw err
    throw new ProtocolError(
      'ErrInvalidNewBlock',
      peer.id,
      `NewBlock ${msg.block.header.number}: body does not match its header (${err.message})`,
      { cause: err, wireCode: err.code, msgCode: raw.code },
    )
  }
  const before = peer.td
  peer.observe(msg) // known; head := parent, TD := td − difficulty, if higher
  ctx.blockFetcher.enqueue(peer.id, msg.block)
  const trueTd = msg.td - msg.block.header.difficulty
  if (before !== undefined && trueTd <= before) return
  const head = ctx.chain.currentHeader()
  const ourTd = await ctx.chain.getTd(head.hash, head.number)
  if (ourTd !== undefined && trueTd > ourTd) ctx.onPeerAhead(peer)
}

const onBlockAnnounceEth69: MsgHandler = async (_ctx, peer, raw) => {
  throw new ProtocolError(
    'ErrBlockAnnounceForbidden',
    peer.id,
    `eth/69 peer sent a block announcement (0x${raw.code.toString(16)})`,
    { msgCode: raw.code },
  )
}

const onBlockRangeUpdate: MsgHandler = async (_ctx, peer, raw) => {
  const msg = decode(peer, raw, 'BlockRangeUpdate')
  if (msg.range.earliestBlock > msg.range.latestBlock) {
    throw new ProtocolError('ErrDecode', peer.id, 'BlockRangeUpdate: earliest above latest', {
      msgCode: raw.code,
    })
  }
  peer.observe(msg)
}

function unrequested(ctx: HandlerContext, peer: Peer, what: string): void {
  ctx.log.debug('unrequested response', { peer: peer.id, what })
  report(ctx, peer, 'unsolicitedResponse', `${what} that answers no request`)
  if (ctx.downloader.synchronising) ctx.downloader.reportUnrequested(peer.id, what)
}

const common: Record<number, MsgHandler> = {
  [MsgCode.Status]: onStatus,
  [MsgCode.NewBlockHashes]: onNewBlockHashes,
  [MsgCode.Transactions]: onTransactions,
  [MsgCode.GetBlockHeaders]: onGetBlockHeaders,
  [MsgCode.BlockHeaders]: onBlockHeaders,
  [MsgCode.GetBlockBodies]: onGetBlockBodies,
  [MsgCode.BlockBodies]: onBlockBodies,
  [MsgCode.NewBlock]: onNewBlock,
  [MsgCode.NewPooledTransactionHashes]: onNewPooledTransactionHashes,
  [MsgCode.GetPooledTransactions]: onGetPooledTransactions,
  [MsgCode.PooledTransactions]: onPooledTransactions,
  [MsgCode.GetNodeData]: onGetNodeData,
  [MsgCode.NodeData]: onNodeData,
  [MsgCode.GetReceipts]: onGetReceipts,
  [MsgCode.Receipts]: onReceipts,
  [MsgCode.BlockRangeUpdate]: onBlockRangeUpdate,
}

/** The handler table of eth/`version`: exactly the codes the version has. */
export function handlerTable(version: number): Map<number, MsgHandler> {
  const table = new Map<number, MsgHandler>()
  for (const code of messageCodes(version)) {
    const h = common[code]
    if (h !== undefined) table.set(code, h)
  }
  if (version >= 69) {
    table.set(MsgCode.NewBlockHashes, onBlockAnnounceEth69)
    table.set(MsgCode.NewBlock, onBlockAnnounceEth69)
  }
  return table
}
