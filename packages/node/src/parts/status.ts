/** The status log line every few seconds: peers, head, blocks/s, pool size (and sync target). */
import type { Clock, Logger } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { bytesToHex } from '@ethwire/rlp-wire'
import type { Part } from '../lifecycle.js'
import type { ChainPart } from './chain.js'
import type { ProtocolPart } from './protocol.js'

const shortHash = (h: Uint8Array) => {
  const x = bytesToHex(h)
  return `${x.slice(0, 8)}…${x.slice(-4)}`
}

export function createStatusPart(
  deps: { chain: ChainPart; protocol: ProtocolPart; log: Pick<Logger, 'info'>; clock?: Clock },
  options: { intervalMs: number },
): Part {
  const clock = deps.clock ?? systemClock
  let timer: unknown
  let running = false
  let lastNum = 0n
  let lastAt = 0
  const tick = () => {
    if (!running) return
    const head = deps.chain.chain.currentHeader()
    const pm = deps.protocol.pm
    const now = clock.now()
    const rate = (Number(head.number - lastNum) * 1000) / Math.max(1, now - lastAt)
    lastNum = head.number
    lastAt = now
    const syncing = pm.syncing()
    deps.log.info(syncing ? 'Syncing' : 'Status', {
      peers: pm.peerCount,
      head: head.number,
      hash: shortHash(head.hash),
      'blocks/s': rate.toFixed(1),
      ...(syncing ? { highest: syncing.highestBlock } : {}),
      txs: deps.chain.txPool.status().pending,
    })
    timer = clock.setTimeout(tick, options.intervalMs)
  }
  return {
    name: 'status line',
    start: async () => {
      if (options.intervalMs <= 0) return
      running = true
      lastNum = deps.chain.chain.currentHeader().number
      lastAt = clock.now()
      timer = clock.setTimeout(tick, options.intervalMs)
    },
    stop: async () => {
      running = false
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
    },
  }
}
