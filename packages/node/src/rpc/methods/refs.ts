/** Block parameters resolved against a backend (shared by the method files). */
import type { Block } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import type { BlockRef } from '../params.js'

/** The canonical height a tag or number names (pending/safe/finalized = the head: no finality here). */
export function heightOf(b: Backend, ref: BlockRef): bigint | undefined {
  if ('number' in ref) return ref.number
  if ('tag' in ref) return ref.tag === 'earliest' ? 0n : b.currentHeader().number
  return undefined
}

/** The block a number, tag or hash names (undefined when there is none). */
export async function blockOf(b: Backend, ref: BlockRef): Promise<Block | undefined> {
  if ('hash' in ref) return b.blockByHash(ref.hash)
  const n = heightOf(b, ref)
  return n === undefined ? undefined : b.blockByNumber(n)
}
