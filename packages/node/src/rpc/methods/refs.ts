/** Block parameters resolved against a backend (shared by the method files). */
import type { Block, BlockHeader } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import { RpcError, RpcErrorCode } from '../dispatch.js'
import type { BlockRef } from '../params.js'

/**
 * The header `safe` / `finalized` names: the one the last forkchoice set. A chain without one (a
 * clique or PoW chain, no consensus client) has none: go-ethereum's `safe block not found` /
 * `finalized block not found` (its log filters say `header`).
 */
export function finalityHeader(
  b: Backend,
  tag: 'safe' | 'finalized',
  what: 'block' | 'header' = 'block',
): BlockHeader {
  const h = b.finality?.()[tag]
  if (!h) throw new RpcError(RpcErrorCode.Server, `${tag} ${what} not found`)
  return h
}

/** The canonical height a tag or number names (pending = the head: no pending block here). */
export function heightOf(
  b: Backend,
  ref: BlockRef,
  what: 'block' | 'header' = 'block',
): bigint | undefined {
  if ('number' in ref) return ref.number
  if ('tag' in ref) {
    if (ref.tag === 'earliest') return 0n
    if (ref.tag === 'safe' || ref.tag === 'finalized')
      return finalityHeader(b, ref.tag, what).number
    return b.currentHeader().number
  }
  return undefined
}

/** The block a number, tag or hash names (undefined when there is none). */
export async function blockOf(b: Backend, ref: BlockRef): Promise<Block | undefined> {
  if ('hash' in ref) return b.blockByHash(ref.hash)
  const n = heightOf(b, ref)
  return n === undefined ? undefined : b.blockByNumber(n)
}
