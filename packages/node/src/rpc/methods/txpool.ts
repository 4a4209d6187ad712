/** `txpool_*`: pool status and content (go-ethereum's shapes). */
import type { Transaction } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { formatTransaction } from '../format.js'
import { qty } from '../params.js'

const perSender = (m: Record<string, Record<string, Transaction>>) => {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [sender, byNonce] of Object.entries(m)) {
    const o: Record<string, unknown> = {}
    for (const [nonce, tx] of Object.entries(byNonce)) o[nonce] = formatTransaction(tx, sender)
    out[sender] = o
  }
  return out
}

export function txpoolMethods(b: Backend): RpcMethods {
  return {
    txpool_status: () => {
      const s = b.poolStatus()
      return { pending: qty(s.pending), queued: qty(s.queued) }
    },
    txpool_content: () => {
      const c = b.poolContent()
      return { pending: perSender(c.pending), queued: perSender(c.queued) }
    },
  }
}
