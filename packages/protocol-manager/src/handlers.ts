/**
 * One handler per message code, and the table of each eth version (go-ethereum's
 * `eth/protocols/eth/handler.go` tables): a code the version lacks has no entry, a Status after
 * the handshake is an error, eth/69 refuses block announcements.
 */
import type { Peer } from '@ethwire/peerset'
import {
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
  answerGetBlockHeaders,
  answerGetNodeData,
  answerGetPooledTransactions,
  answerGetReceipts,
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

// ------------------------------------------------------------------------------------------------
// Handlers

const onStatus: MsgHandler = async (_ctx, peer) => {
  throw new ProtocolError('ErrExtraStatusMsg', peer.id, 'Status after the handshake', {
    msgCode: MsgCode.Status,
  })
}

const onGetBlockHeaders: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetBlockHeaders')
  const { headers, skipOverflow } = await answerGetBlockHeaders(
    ctx.chain,
    msg.request,
    serveLimits(peer.version),
  )
  if (skipOverflow) {
    ctx.log.warn('GetBlockHeaders skip overflow attack', {
      peer: peer.id,
      skip: msg.request.skip,
      remoteAddress: peer.conn.remoteAddress,
    })
  }
  await reply(peer, { name: 'BlockHeaders', requestId: msg.requestId, headers })
}

const onGetBlockBodies: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetBlockBodies')
  const bodies = await answerGetBlockBodies(ctx.chain, msg.hashes)
  await reply(peer, { name: 'BlockBodies', requestId: msg.requestId, bodies })
}

const onGetReceipts: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetReceipts')
  const receipts = await answerGetReceipts(ctx.chain, msg.hashes)
  await reply(peer, { name: 'Receipts', requestId: msg.requestId, receipts })
}

const onGetNodeData: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetNodeData')
  const data = await answerGetNodeData(ctx.chain, msg.hashes)
  await reply(peer, { name: 'NodeData', requestId: msg.requestId, data })
}

const onGetPooledTransactions: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'GetPooledTransactions')
  // Before the first sync we take no part in transaction exchange: answer empty, so the
  // requester is not left waiting for its timeout.
  const txs = ctx.acceptTxs ? answerGetPooledTransactions(ctx.txPool, msg.hashes) : []
  await reply(peer, { name: 'PooledTransactions', requestId: msg.requestId, txs })
}

const onBlockHeaders: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'BlockHeaders')
  if (peer.deliver(msg) !== 'unsolicited') return
  // Not an answer to a pending request: maybe a late answer to the block fetcher; whatever it
  // does not take was sent unasked.
  const rest = ctx.blockFetcher.filterHeaders(peer.id, msg.headers)
  if (rest.length > 0) unrequested(ctx, peer, 'BlockHeaders')
}

const onBlockBodies: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'BlockBodies')
  if (peer.deliver(msg) !== 'unsolicited') return
  const rest = ctx.blockFetcher.filterBodies(peer.id, msg.bodies)
  if (rest.length > 0) unrequested(ctx, peer, 'BlockBodies')
}

const onReceipts: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'Receipts')
  if (peer.deliver(msg) === 'unsolicited' && msg.receipts.length > 0)
    unrequested(ctx, peer, 'Receipts')
}

const onNodeData: MsgHandler = async (ctx, peer, raw) => {
  const msg = decode(peer, raw, 'NodeData')
  if (peer.deliver(msg) === 'unsolicited' && msg.data.length > 0) unrequested(ctx, peer, 'NodeData')
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
  if (peer.deliver(msg) === 'unsolicited' && ctx.acceptTxs)
    ctx.txFetcher.enqueue(peer.id, msg.txs, true)
}

const onTransactions: MsgHandler = async (ctx, peer, raw) => {
  ctx.stats.txMessagesReceived++
  ctx.stats.txBytesReceived += raw.size
  if (!ctx.acceptTxs) return // go-ethereum: not before the initial sync
  const msg = decode(peer, raw, 'Transactions')
  ctx.stats.txBroadcastBytesReceived += raw.size
  ctx.stats.txsBroadcastReceived += msg.txs.length
  ctx.stats.txsBroadcastKnown += countKnown(ctx, msg.txs)
  peer.observe(msg) // the peer knows them: never send them back
  ctx.txFetcher.enqueue(peer.id, msg.txs, false) // → txPool.addRemotes
}

const onNewPooledTransactionHashes: MsgHandler = async (ctx, peer, raw) => {
  if (!ctx.acceptTxs) return
  const msg = decode(peer, raw, 'NewPooledTransactionHashes')
  ctx.stats.txAnnounceBytesReceived += raw.size
  ctx.stats.txHashesAnnounced += msg.hashes.length
  for (const h of msg.hashes) if (ctx.txPool?.has(h)) ctx.stats.txHashesAnnouncedKnown++
  peer.observe(msg)
  ctx.txFetcher.notify(peer.id, msg.hashes, msg.types, msg.sizes)
}

const onNewBlockHashes: MsgHandler = async (ctx, peer, raw) => {
  ctx.stats.newBlockHashesReceived++
  const msg = decode(peer, raw, 'NewBlockHashes')
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
