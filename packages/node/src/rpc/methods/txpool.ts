/**
 * `txpool_*`: pool status, content, content of one sender and the one-line summaries
 * (go-ethereum's shapes: senders as checksummed addresses, nonces as decimal strings).
 */
import { hexToBytes, type Transaction } from '@ethwire/rlp-wire'
import { toChecksumAddress } from '../../accounts/address.js'
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { formatTransaction } from '../format.js'
import { addressParam, qty } from '../params.js'

type BySender = Record<string, Record<string, Transaction>>

const checksum = (hex: string) => toChecksumAddress(hexToBytes(hex))

const perSender = (m: BySender) => {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [sender, byNonce] of Object.entries(m)) {
    const o: Record<string, unknown> = {}
    for (const [nonce, tx] of Object.entries(byNonce)) o[nonce] = formatTransaction(tx, sender)
    out[checksum(sender)] = o
  }
  return out
}

/** go-ethereum's summary: `to: value wei + gas gas × price wei`. */
function summary(tx: Transaction): string {
  const price = tx.type === 0 || tx.type === 1 ? tx.gasPrice : tx.maxFeePerGas
  const to = tx.to ? `${toChecksumAddress(tx.to)}` : 'contract creation'
  return `${to}: ${tx.value} wei + ${tx.gasLimit} gas × ${price ?? 0n} wei`
}

const inspect = (m: BySender) => {
  const out: Record<string, Record<string, string>> = {}
  for (const [sender, byNonce] of Object.entries(m)) {
    const o: Record<string, string> = {}
    for (const [nonce, tx] of Object.entries(byNonce)) o[nonce] = summary(tx)
    out[checksum(sender)] = o
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
    txpool_contentFrom: (params) => {
      const want = addressParam(params, 0)
      const key = Buffer.from(want).toString('hex')
      const c = b.poolContent()
      const of = (m: BySender) => {
        const hit = Object.entries(m).find(([s]) => s.slice(2).toLowerCase() === key)
        const o: Record<string, unknown> = {}
        if (hit)
          for (const [nonce, tx] of Object.entries(hit[1])) o[nonce] = formatTransaction(tx, hit[0])
        return o
      }
      return { pending: of(c.pending), queued: of(c.queued) }
    },
    txpool_inspect: () => {
      const c = b.poolContent()
      return { pending: inspect(c.pending), queued: inspect(c.queued) }
    },
  }
}
