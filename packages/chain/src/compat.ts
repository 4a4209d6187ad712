/**
 * go-ethereum's chain-config compatibility check (`params.ChainConfig.CheckCompatible`): a new
 * genesis config for an existing database may add or move forks that the chain has not reached yet;
 * one that changes a fork the chain already passed (or moves one below the head) rewrites history,
 * so the head must be rewound below the first block the change affects.
 */
import type { ChainConfig } from './config.js'

/** Forks scheduled by block number, in activation order. */
export const blockForks = [
  'homesteadBlock',
  'daoForkBlock',
  'eip150Block',
  'eip155Block',
  'eip158Block',
  'byzantiumBlock',
  'constantinopleBlock',
  'petersburgBlock',
  'istanbulBlock',
  'muirGlacierBlock',
  'berlinBlock',
  'londonBlock',
  'arrowGlacierBlock',
  'grayGlacierBlock',
  'mergeNetsplitBlock',
] as const

/** Forks scheduled by timestamp, in activation order. */
export const timeForks = [
  'shanghaiTime',
  'cancunTime',
  'pragueTime',
  'osakaTime',
  'bpo1Time',
  'bpo2Time',
  'bpo3Time',
  'bpo4Time',
  'bpo5Time',
  'amsterdamTime',
] as const

/** Why a new config cannot be applied as it is, and the head to rewind to. */
export interface ConfigIncompatibility {
  /** The config field that differs (`chainId`, `londonBlock`, `cancunTime`, …). */
  field: string
  stored: unknown
  given: unknown
  /** Rewind so that the head is below this block (a block-scheduled difference)… */
  rewindToBlock?: bigint
  /** …or below the first block at or after this time (a time-scheduled one). */
  rewindToTime?: bigint
}

const value = (c: ChainConfig, f: string): bigint | undefined => {
  const v = c[f]
  return v === undefined || v === null ? undefined : BigInt(v as number | string)
}
const min = (a: bigint | undefined, b: bigint | undefined) =>
  a === undefined ? b : b === undefined ? a : a < b ? a : b

/**
 * The first difference between `stored` and `given` that affects blocks up to the head (number
 * `headNumber`, timestamp `headTime`), or undefined when `given` only changes the future. As in
 * go-ethereum, a fork is "passed" when either config schedules it at or below the head.
 */
export function checkCompatible(
  stored: ChainConfig,
  given: ChainConfig,
  headNumber: bigint,
  headTime: bigint,
): ConfigIncompatibility | undefined {
  const storedId = value(stored, 'chainId')
  const givenId = value(given, 'chainId')
  if (storedId !== givenId)
    return { field: 'chainId', stored: stored.chainId, given: given.chainId, rewindToBlock: 0n }
  for (const f of blockForks) {
    const s = value(stored, f)
    const g = value(given, f)
    if (s === g) continue
    const passed = (x: bigint | undefined) => x !== undefined && x <= headNumber
    if (passed(s) || passed(g))
      return { field: f, stored: stored[f], given: given[f], rewindToBlock: min(s, g) }
  }
  if (String(stored.daoForkSupport ?? false) !== String(given.daoForkSupport ?? false)) {
    const dao = value(stored, 'daoForkBlock') ?? value(given, 'daoForkBlock')
    if (dao !== undefined && dao <= headNumber)
      return {
        field: 'daoForkSupport',
        stored: stored.daoForkSupport,
        given: given.daoForkSupport,
        rewindToBlock: dao,
      }
  }
  const ttdS = value(stored, 'terminalTotalDifficulty')
  const ttdG = value(given, 'terminalTotalDifficulty')
  if (ttdS !== ttdG && (ttdS !== undefined || ttdG !== undefined)) {
    // Where the merge happened is fixed once the chain is past it: only a future one may change.
    const merged = value(stored, 'mergeNetsplitBlock')
    if (merged !== undefined && merged <= headNumber)
      return {
        field: 'terminalTotalDifficulty',
        stored: stored.terminalTotalDifficulty,
        given: given.terminalTotalDifficulty,
        rewindToBlock: merged,
      }
  }
  for (const f of timeForks) {
    const s = value(stored, f)
    const g = value(given, f)
    if (s === g) continue
    const passed = (x: bigint | undefined) => x !== undefined && x <= headTime
    if (passed(s) || passed(g))
      return { field: f, stored: stored[f], given: given[f], rewindToTime: min(s, g) }
  }
  return undefined
}

/** Whether two configs are the same (key order aside). */
export function sameConfig(a: ChainConfig, b: ChainConfig): boolean {
  return canonicalJson(a) === canonicalJson(b)
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v)
}
