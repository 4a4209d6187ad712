/**
 * The first phase of a sync, all from the master: its head header (by the announced hash; its
 * number is how far we go) and the common ancestor of its chain and ours — a spread request (one
 * header every `ancestorSpreadStep` over the last `2 × maxHeaderFetch` below the lower head), and
 * when that finds nothing a binary search over numbers down to our head − `maxForkAncestry`.
 * A master that fails, lies or answers nothing here is dropped (the run elects another).
 */
import { type BlockHeader, bytesToHex, equalBytes } from '@ethwire/rlp-wire'
import { type PeerEntry, type RunContext, RunFailed } from './context.js'
import { DownloaderError, type DownloaderErrorCode } from './errors.js'

const hex = (b: Uint8Array): string => bytesToHex(b).slice(2, 18)

/** One request to the master during the first phase, validated by the caller. */
async function masterHeaders(
  ctx: RunContext,
  e: PeerEntry,
  what: string,
  send: (signal: AbortSignal) => Promise<BlockHeader[]>,
  max: number,
): Promise<BlockHeader[]> {
  const id = e.peer.id
  const out = await ctx.request(e, send)
  if (out.kind === 'aborted') {
    throw new RunFailed(ctx.error ?? new DownloaderError('ErrCancelled', 'sync cancelled'))
  }
  if (out.kind === 'timeout') {
    ctx.drop(id, 'ErrTimeout', `${what} request expired`)
    throw new RunFailed(ctx.lastDropError!)
  }
  if (out.kind === 'failed') {
    ctx.exclude(id, out.error)
    throw new RunFailed(
      new DownloaderError('ErrNoPeers', `master peer failed ${what}: ${String(out.error)}`, {
        cause: out.error,
        peerId: id,
      }),
    )
  }
  const hs = out.value
  if (!Array.isArray(hs)) badMaster(ctx, id, 'ErrBadPeer', `${what}: not a header list`)
  if (hs.length > max) {
    badMaster(ctx, id, 'ErrUnrequestedData', `${what}: ${hs.length} headers for ${max} requested`)
  }
  if (hs.length === 0) badMaster(ctx, id, 'ErrEmptyHeaderSet', `${what}: empty answer`)
  ctx.onDelivered(e, 'headers', hs.length, out.elapsedMs)
  return hs
}

function badMaster(ctx: RunContext, id: string, code: DownloaderErrorCode, message: string): never {
  ctx.drop(id, code, message)
  throw new RunFailed(ctx.lastDropError!)
}

/** The master's header of the head we aim for, checked against the announced hash. */
export async function fetchHead(
  ctx: RunContext,
  e: PeerEntry,
  targetHash: Uint8Array,
): Promise<BlockHeader> {
  const hs = await masterHeaders(
    ctx,
    e,
    'head header',
    (s) => e.peer.requestHeadersByHash(targetHash, 1, 0, false, s),
    1,
  )
  const head = hs[0]!
  if (!equalBytes(head.hash, targetHash)) {
    badMaster(
      ctx,
      e.peer.id,
      'ErrBadPeer',
      `head header ${hex(head.hash)} is not ${hex(targetHash)}`,
    )
  }
  return head
}

/**
 * The highest block both chains have, between our head − `maxForkAncestry` (exclusive) and
 * min(our head, `height`). Throws (after dropping the master) when there is none.
 */
export async function findAncestor(
  ctx: RunContext,
  e: PeerEntry,
  localHead: bigint,
  height: bigint,
): Promise<{ number: bigint; hash: Uint8Array }> {
  const { chain } = ctx.host
  const opts = ctx.opts
  const id = e.peer.id
  const floor = localHead - BigInt(opts.maxForkAncestry) // may be negative: no floor
  const top = localHead < height ? localHead : height
  let from = top - BigInt(opts.maxHeaderFetch)
  if (from < 0n) from = 0n
  const step = BigInt(opts.ancestorSpreadStep)
  const maxSpread = Math.max(1, Math.floor((2 * opts.maxHeaderFetch) / opts.ancestorSpreadStep))
  const count = Math.min(maxSpread, 1 + Number((top - from) / step))
  function invalid(number: bigint): never {
    badMaster(
      ctx,
      id,
      'ErrInvalidAncestor',
      `common ancestor #${number} is at or below the fork ancestry floor #${floor}`,
    )
  }

  // A spread request first: one header every `step` below our head.
  const spread = await masterHeaders(
    ctx,
    e,
    'ancestor spread',
    (s) => e.peer.requestHeadersByNumber(from, count, opts.ancestorSpreadStep - 1, false, s),
    count,
  )
  for (let i = 0; i < spread.length; i++) {
    if (spread[i]!.number !== from + BigInt(i) * step) {
      badMaster(ctx, id, 'ErrBadPeer', `ancestor spread: header ${i} is #${spread[i]!.number}`)
    }
  }
  for (let i = spread.length - 1; i >= 0; i--) {
    const h = spread[i]!
    if (await chain.hasBlock(h.hash, h.number)) {
      if (h.number <= floor) invalid(h.number)
      return { number: h.number, hash: h.hash }
    }
  }

  // Then a binary search over numbers between the floor and our head.
  let start = floor < 0n ? 0n : floor
  let startHash: Uint8Array | undefined
  let end = top
  while (start + 1n < end) {
    const check = (start + end) / 2n
    const hs = await masterHeaders(
      ctx,
      e,
      'ancestor search',
      (s) => e.peer.requestHeadersByNumber(check, 1, 0, false, s),
      1,
    )
    const h = hs[0]!
    if (h.number !== check) {
      badMaster(ctx, id, 'ErrBadPeer', `ancestor search: asked #${check}, got #${h.number}`)
    }
    if (await chain.hasBlock(h.hash, h.number)) {
      start = check
      startHash = h.hash
    } else {
      end = check
    }
  }
  if (start <= floor) invalid(start)
  if (startHash === undefined) {
    const local = await chain.getHeaderByNumber(start)
    if (local === undefined) invalid(start)
    startHash = local.hash
  }
  return { number: start, hash: startHash }
}
