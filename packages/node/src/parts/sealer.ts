/**
 * The sealer part (`--dev`): the miner. Each block is go-ethereum's worker loop in short —
 * `engine.prepare` on a draft header over the head, `executor.buildBlock` filled from the pool in
 * price-and-nonce order at the block's base fee (clique: the fees go to the signer), `engine.seal`,
 * `chain.insertChain`, then the pool is moved to the new head and the block announced. With a
 * period it seals every period (empty blocks too, as go-ethereum's `--dev.period N`); with period 0
 * it seals when transactions become pending (go-ethereum's `--dev` default).
 */
import { calcBaseFee, isCancun, isLondon, isShanghai } from '@ethwire/chain'
import { privateKeyToAddress } from '@ethwire/crypto'
import type { Clock, Logger } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import {
  Block,
  BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
} from '@ethwire/rlp-wire'
import { byPriceAndNonce } from '@ethwire/txpool'
import { maxExtraDataBytes, minGasLimit } from '../constants.js'
import { NodeError } from '../errors.js'
import type { Part } from '../lifecycle.js'
import type { ChainPart } from './chain.js'

export interface SealerPart extends Part {
  /** Builds, seals and inserts one block now (serialised with the timer's), then announces it. */
  sealBlock(): Promise<Block>
}

export interface SealerPartOptions {
  /** Seconds between blocks; 0 = a block whenever transactions become pending. */
  periodSeconds: number
  /** Block gas limit the miner moves toward (by at most parent/1024 per block). */
  gasLimit: bigint
  /** Fee recipient on engines that pay the coinbase (clique pays the signer: not used there). */
  etherbase?: Uint8Array
  /** Extra-data (clique: the 32-byte vanity), at most 32 bytes. */
  extraData?: Uint8Array
}

/**
 * go-ethereum's `core.CalcGasLimit`: the gas limit of a child block, moving from the parent's
 * toward `desired` by at most `parent / 1024 - 1`.
 */
export function calcGasLimit(parentGasLimit: bigint, desired: bigint): bigint {
  const delta = parentGasLimit / 1024n - 1n
  const want = desired < minGasLimit ? minGasLimit : desired
  if (parentGasLimit < want) {
    const up = parentGasLimit + delta
    return up > want ? want : up
  }
  if (parentGasLimit > want) {
    const down = parentGasLimit - delta
    return down < want ? want : down
  }
  return parentGasLimit
}

export function createSealerPart(
  deps: {
    chain: ChainPart
    announce: (block: Block) => Promise<void>
    log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
    clock?: Clock
  },
  options: SealerPartOptions,
): SealerPart {
  const { log } = deps
  const clock = deps.clock ?? systemClock
  if (options.extraData && options.extraData.length > maxExtraDataBytes)
    throw new NodeError(
      'ErrUsage',
      `miner extra-data is ${options.extraData.length} bytes, at most ${maxExtraDataBytes}`,
    )
  let running = false
  let timer: unknown
  let queue: Promise<unknown> = Promise.resolve()
  /** Period 0: a seal is queued or running, and whether another one was asked for meanwhile. */
  let onTx: { busy: boolean; again: boolean } = { busy: false, again: false }
  let offPending: (() => void) | undefined

  const mine = async (): Promise<Block> => {
    const { chain: c, executor, txPool } = deps.chain
    const parent = c.currentHeader()
    const reader = { config: c.config, getHeader: (h: Uint8Array, n: bigint) => c.getHeader(h, n) }
    const number = parent.number + 1n
    const now = BigInt(Math.floor(clock.now() / 1000))
    const baseFee = isLondon(c.config, number) ? calcBaseFee(c.config, parent) : undefined
    const clique = c.config.clique !== undefined && c.config.clique !== null
    const signerKey = deps.chain.signerKey
    const signer = clique && signerKey ? privateKeyToAddress(signerKey) : undefined
    const time = now > parent.time ? now : parent.time + 1n
    const draft = await c.engine.prepare(
      reader,
      BlockHeader.fromData({
        parentHash: parent.hash,
        uncleHash: EMPTY_UNCLE_HASH,
        coinbase: options.etherbase ?? new Uint8Array(20),
        stateRoot: parent.stateRoot,
        txRoot: EMPTY_TRIE_ROOT,
        receiptRoot: EMPTY_TRIE_ROOT,
        bloom: new Uint8Array(256),
        difficulty: 0n,
        number,
        gasLimit: calcGasLimit(parent.gasLimit, options.gasLimit),
        gasUsed: 0n,
        time,
        extra: options.extraData ?? new Uint8Array(0),
        mixDigest: new Uint8Array(32),
        nonce: new Uint8Array(8),
        baseFee,
      }),
      parent,
    )
    const cancun = isCancun(c.config, number, draft.time)
    const built = await executor.buildBlock({
      parent,
      header: {
        coinbase: draft.coinbase,
        time: draft.time,
        gasLimit: draft.gasLimit,
        extra: draft.extra,
        difficulty: draft.difficulty,
        mixDigest: draft.mixDigest,
        nonce: draft.nonce,
        baseFee,
        ...(cancun ? { parentBeaconRoot: new Uint8Array(32) } : {}),
        // clique: the header's coinbase is the (unused) vote slot; fees go to the signer
        ...(signer ? { beneficiary: signer } : {}),
      },
      transactions: byPriceAndNonce(txPool.pending(), baseFee),
      withdrawals: isShanghai(c.config, number, draft.time) ? [] : undefined,
    })
    for (const s of built.skipped)
      log.debug('Transaction left out of the block', { hash: bytesToHex(s.tx.hash), why: s.reason })
    const sealed = await c.engine.seal(reader, built.block.header)
    const block = new Block(sealed, built.block.body())
    await c.insertChain([block])
    // the pool moves to the new head before the next block is built from it
    await txPool.reset(block.header)
    log.info('Sealed new block', {
      number: block.header.number,
      hash: bytesToHex(block.hash),
      txs: block.transactions.length,
      gas: block.header.gasUsed,
    })
    void deps.announce(block).catch((err) => log.warn('Announcing mined block failed', { err }))
    return block
  }

  const enqueue = <T>(f: () => Promise<T>): Promise<T> => {
    const run = queue.then(f)
    queue = run.catch(() => {})
    return run
  }
  const sealBlock = (): Promise<Block> => {
    if (!running) return Promise.reject(new NodeError('ErrNotRunning', 'sealBlock: not running'))
    return enqueue(mine)
  }

  // ---------------------------------------------------------------- period N: a timer

  const schedule = () => {
    if (!running) return
    timer = clock.setTimeout(tick, options.periodSeconds * 1000)
  }
  const tick = () => {
    timer = undefined
    if (!running) return
    void sealBlock()
      .catch((err) => log.error('Sealing failed', { err }))
      .finally(schedule)
  }

  // ---------------------------------------------------------------- period 0: on transactions

  const onPending = () => {
    if (!running) return
    if (onTx.busy) {
      onTx.again = true
      return
    }
    onTx.busy = true
    onTx.again = false
    // no block without a pending transaction (those of earlier events may be mined already)
    void enqueue(async () => (deps.chain.txPool.status().pending > 0 ? mine() : undefined))
      .then(
        // transactions that did not fit: another block (not when nothing could be included)
        (block) =>
          block !== undefined &&
          block.transactions.length > 0 &&
          deps.chain.txPool.status().pending > 0,
        (err) => {
          log.error('Sealing failed', { err })
          return false
        },
      )
      .then((more) => {
        onTx.busy = false
        // transactions that arrived meanwhile
        if (more || onTx.again) onPending()
      })
  }

  return {
    name: 'sealer',
    start: async () => {
      running = true
      onTx = { busy: false, again: false }
      if (options.periodSeconds > 0) schedule()
      else {
        offPending = deps.chain.txPool.onPending(() => onPending())
        if (deps.chain.txPool.status().pending > 0) onPending()
      }
    },
    stop: async () => {
      running = false
      offPending?.()
      offPending = undefined
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      await queue.catch(() => {})
    },
    sealBlock,
  }
}
