/** Dev sealer: seals an empty block on top of the head every period (clique key). */
import type { Clock, Startable } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { Block, BlockHeader, EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH } from '@ethwire/rlp-wire'
import type { Chain } from './chain.js'
import { isCancun, isLondon, isPrague, isShanghai } from './config.js'
import { devPeriodSecondsDefault } from './constants.js'
import type { Engine } from './engines.js'
import { EMPTY_REQUESTS_HASH } from './genesis.js'
import { calcBaseFee, calcExcessBlobGas } from './rules.js'

export interface DevSealerDeps {
  chain: Chain
  /** Time (block timestamps) and the sealing timer. Default the system clock. */
  clock?: Clock
}

export interface DevSealerOptions {
  /** Seconds between blocks (default: the engine's clique period, or 1 when that is 0). */
  periodSeconds?: number
  /** Called when sealing fails (the sealer keeps going). */
  onError?: (e: unknown) => void
}

/** Builds the next empty block on `parent` (no transactions: the state root is the parent's). */
export async function buildEmptyBlock(
  chain: Chain,
  parent: BlockHeader,
  timeSeconds: bigint,
  engine: Engine = chain.engine,
): Promise<Block> {
  const c = chain.config
  const n = parent.number + 1n
  const t = timeSeconds > parent.time ? timeSeconds : parent.time + 1n
  let header = BlockHeader.fromData({
    parentHash: parent.hash,
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: parent.stateRoot,
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 0n,
    number: n,
    gasLimit: parent.gasLimit,
    gasUsed: 0n,
    time: t,
    extra: new Uint8Array(0),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFee: isLondon(c, n) ? calcBaseFee(c, parent) : undefined,
    withdrawalsRoot: isShanghai(c, n, t) ? EMPTY_TRIE_ROOT : undefined,
    blobGasUsed: isCancun(c, n, t) ? 0n : undefined,
    excessBlobGas: isCancun(c, n, t) ? calcExcessBlobGas(c, parent, t) : undefined,
    parentBeaconRoot: isCancun(c, n, t) ? new Uint8Array(32) : undefined,
    requestsHash: isPrague(c, n, t) ? EMPTY_REQUESTS_HASH : undefined,
  })
  const reader = { config: c, getHeader: (h: Uint8Array, num: bigint) => chain.getHeader(h, num) }
  header = await engine.prepare(reader, header, parent)
  header = await engine.seal(reader, header)
  return new Block(header, {
    transactions: [],
    uncles: [],
    withdrawals: header.withdrawalsRoot ? [] : undefined,
  })
}

export interface DevSealer extends Startable {
  /** Arms the sealing timer (resolves at once). */
  start(): Promise<void>
  /** Clears the timer and waits for a block being sealed. */
  stop(): Promise<void>
  /** Seals and inserts one block now. */
  sealOnce(): Promise<Block>
}

export function createDevSealer(deps: DevSealerDeps, options: DevSealerOptions = {}): DevSealer {
  const { chain } = deps
  const clock = deps.clock ?? systemClock
  const enginePeriod = Number((chain.engine as { period?: bigint }).period ?? 0n)
  const period =
    options.periodSeconds ?? (enginePeriod > 0 ? enginePeriod : devPeriodSecondsDefault)
  let timer: unknown
  let running = false
  let inflight: Promise<unknown> = Promise.resolve()

  const sealOnce = async () => {
    const parent = chain.currentHeader()
    const block = await buildEmptyBlock(chain, parent, BigInt(Math.floor(clock.now() / 1000)))
    await chain.insertChain([block])
    return block
  }
  const tick = () => {
    if (!running) return
    inflight = sealOnce()
      .catch((e) => options.onError?.(e))
      .finally(() => {
        if (running) timer = clock.setTimeout(tick, period * 1000)
      })
  }
  return {
    sealOnce,
    async start() {
      if (running) return
      running = true
      timer = clock.setTimeout(tick, period * 1000)
    },
    async stop() {
      running = false
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      await inflight
    },
  }
}
