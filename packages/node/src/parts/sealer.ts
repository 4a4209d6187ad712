/**
 * The sealer part (`--dev`): every period an empty clique block on the head, inserted into the
 * chain and announced to peers.
 */
import { buildEmptyBlock } from '@ethwire/chain'
import type { Clock, Logger } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { type Block, bytesToHex } from '@ethwire/rlp-wire'
import { NodeError } from '../errors.js'
import type { Part } from '../lifecycle.js'
import type { ChainPart } from './chain.js'

export interface SealerPart extends Part {
  /** Seals one block now (serialised with the timer's), inserts and announces it. */
  sealBlock(): Promise<Block>
}

export interface SealerPartOptions {
  /** Seconds between blocks; 0 = no timer. */
  periodSeconds: number
}

export function createSealerPart(
  deps: {
    chain: ChainPart
    announce: (block: Block) => Promise<void>
    log: Pick<Logger, 'info' | 'warn' | 'error'>
    clock?: Clock
  },
  options: SealerPartOptions,
): SealerPart {
  const { log } = deps
  const clock = deps.clock ?? systemClock
  let running = false
  let timer: unknown
  let sealing: Promise<unknown> = Promise.resolve()
  let queue: Promise<unknown> = Promise.resolve()

  const sealBlock = (): Promise<Block> => {
    if (!running) return Promise.reject(new NodeError('ErrNotRunning', 'sealBlock: not running'))
    const c = deps.chain.chain
    const run = queue.then(async () => {
      const parent = c.currentHeader()
      const block = await buildEmptyBlock(c, parent, BigInt(Math.floor(clock.now() / 1000)))
      await c.insertChain([block])
      void deps.announce(block).catch((err) => log.warn('Announcing mined block failed', { err }))
      log.info('Sealed new block', { number: block.header.number, hash: bytesToHex(block.hash) })
      return block
    })
    queue = run.catch(() => {})
    return run
  }

  const schedule = () => {
    if (!running || options.periodSeconds <= 0) return
    timer = clock.setTimeout(tick, options.periodSeconds * 1000)
  }
  const tick = () => {
    timer = undefined
    if (!running) return
    sealing = sealBlock()
      .catch((err) => log.error('Sealing failed', { err }))
      .finally(schedule)
  }

  return {
    name: 'sealer',
    start: async () => {
      running = true
      schedule()
    },
    stop: async () => {
      running = false
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      await sealing.catch(() => {})
      await queue.catch(() => {})
    },
    sealBlock,
  }
}
