/**
 * `eth_capabilities` (execution-apis `src/eth/capabilities.yaml`): what history the node serves,
 * for RPC routers. Blocks, transactions, receipts and logs are kept from genesis and never
 * deleted; state is kept for every block executed (no pruning), so its oldest block is the lowest
 * one whose state is stored (genesis unless the chain started from a later state).
 */
import type { BlockHeader } from '@ethwire/rlp-wire'
import { bytesToHex } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { qty } from '../params.js'

/** A resource served from `oldest` on, never deleted. */
const kept = (oldest: bigint) => ({
  disabled: false,
  oldestBlock: qty(oldest),
  deleteStrategy: { type: 'none' },
})

/**
 * The lowest canonical block at or below the head whose state is stored: states are written as
 * blocks execute and never deleted, so the stored ones are a suffix of the chain (binary search).
 */
export async function oldestStateBlock(b: Backend, head: BlockHeader): Promise<bigint> {
  const has = async (n: bigint) => {
    const h = n === head.number ? head : await b.headerByNumber(n)
    return h !== undefined && (await b.hasState(h))
  }
  if (await has(0n)) return 0n
  let lo = 0n // no state
  let hi = head.number // state (or the head, whatever it has)
  while (lo + 1n < hi) {
    const mid = (lo + hi) / 2n
    if (await has(mid)) hi = mid
    else lo = mid
  }
  return hi
}

export function capabilitiesMethods(b: Backend): RpcMethods {
  return {
    eth_capabilities: async () => {
      const head = b.currentHeader()
      const state = await oldestStateBlock(b, head)
      return {
        head: { number: qty(head.number), hash: bytesToHex(head.hash) },
        state: kept(state),
        tx: kept(0n),
        logs: kept(0n),
        receipts: kept(0n),
        blocks: kept(0n),
        stateproofs: kept(state),
      }
    },
  }
}
