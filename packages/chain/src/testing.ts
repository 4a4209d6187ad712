/**
 * Test helpers for @ethwire/chain users: a temporary chain on disk with a faker engine, and
 * `faultyWrites` to make its writes fail as a full disk would.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Chain, type Db, openChain } from './chain.js'
import { createBeacon, createFaker, type Engine } from './engines.js'
import type { GenesisJson } from './genesis.js'

/** A small London+Shanghai genesis merged at block 0 (post-merge rules from block 1). */
export function testGenesis(): GenesisJson {
  return {
    config: {
      chainId: 1337,
      homesteadBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      terminalTotalDifficulty: 0,
    },
    gasLimit: '0x1c9c380',
    difficulty: '0x0',
    alloc: { '0x00000000000000000000000000000000000000aa': { balance: '0x100' } },
  }
}

/** Opens a chain in a fresh temporary directory; `cleanup()` closes it and removes the directory. */
export async function tempChain(
  opts: { genesis?: GenesisJson; engine?: Engine } = {},
): Promise<{ chain: Chain; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ethwire-chain-'))
  const chain = await openChain(
    { location: dir, engine: opts.engine ?? createBeacon(createFaker()) },
    { genesis: opts.genesis ?? testGenesis() },
  )
  return {
    chain,
    dir,
    cleanup: async () => {
      await chain.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** An OS failure `faultyWrites` can simulate, with the text LevelDB would carry. */
export type WriteFault = 'ENOSPC' | 'EROFS' | 'EIO'

const faultText: Record<WriteFault, string> = {
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EIO: 'Input/output error',
}

/** Control of the writes of a chain opened with `deps.wrapDb: faults.wrap`. */
export interface FaultyWrites {
  /** Pass as `ChainDeps.wrapDb`. */
  wrap: (db: Db) => Db
  /**
   * From the `n`-th write from now on (1: the next one), every write fails with `fault` (default
   * ENOSPC) and stores nothing of its batch, as LevelDB fails a batch it cannot log, until `heal()`.
   */
  failFrom(n: number, fault?: WriteFault): void
  /** Writes go through again (the disk has room again). */
  heal(): void
  /** Writes (batches and puts) attempted through the wrapper. */
  readonly writes: number
  /** Writes that failed. */
  readonly failures: number
}

/**
 * A LevelDB wrapper for tests whose writes fail on demand with the error LevelDB raises for a full
 * disk (`LEVEL_IO_ERROR`, "IO error: …: No space left on device"). Reads are untouched.
 *
 * @example
 * ```ts
 * const faults = faultyWrites()
 * const chain = await openChain({ location: dir, wrapDb: faults.wrap }, { genesis })
 * faults.failFrom(1) // the next batch fails: insertChain rejects with ErrDiskFull
 * ```
 */
export function faultyWrites(): FaultyWrites {
  let writes = 0
  let failures = 0
  let failAt: number | undefined
  let fault: WriteFault = 'ENOSPC'
  const check = (location: string) => {
    writes++
    if (failAt !== undefined && writes >= failAt) {
      failures++
      throw Object.assign(new Error(`IO error: ${location}/000042.log: ${faultText[fault]}`), {
        code: 'LEVEL_IO_ERROR',
      })
    }
  }
  const wrap = (db: Db): Db =>
    new Proxy(db, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown
        if (typeof v !== 'function') return v
        if (prop === 'batch' || prop === 'put' || prop === 'del')
          return async (...args: unknown[]) => {
            check(target.location)
            return (v as (...a: unknown[]) => unknown).apply(target, args)
          }
        return (v as (...a: unknown[]) => unknown).bind(target)
      },
    })
  return {
    wrap,
    failFrom(n, f = 'ENOSPC') {
      if (!(n >= 1)) throw new RangeError(`failFrom(n): n must be >= 1, got ${n}`)
      failAt = writes + n
      fault = f
    },
    heal() {
      failAt = undefined
    },
    get writes() {
      return writes
    },
    get failures() {
      return failures
    },
  }
}
