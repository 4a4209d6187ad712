/** Chain configuration (the `config` object of a go-ethereum genesis.json) and fork rules. */
import { gasPerBlob } from './constants.js'

export interface BlobScheduleEntry {
  target: number
  max: number
  baseFeeUpdateFraction: number
}

/** The subset of go-ethereum's `params.ChainConfig` that header rules need. Unknown keys are kept. */
export interface ChainConfig {
  chainId?: number | string
  homesteadBlock?: number | null
  londonBlock?: number | null
  mergeNetsplitBlock?: number | null
  shanghaiTime?: number | null
  cancunTime?: number | null
  pragueTime?: number | null
  osakaTime?: number | null
  bpo1Time?: number | null
  bpo2Time?: number | null
  bpo3Time?: number | null
  bpo4Time?: number | null
  bpo5Time?: number | null
  amsterdamTime?: number | null
  terminalTotalDifficulty?: number | string | null
  ethash?: Record<string, unknown> | null
  clique?: { period?: number; epoch?: number } | null
  blobSchedule?: Record<string, BlobScheduleEntry>
  [key: string]: unknown
}

const defaultBlobSchedule: Record<string, BlobScheduleEntry> = {
  cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
  prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
  osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
}

const blockActive = (at: number | null | undefined, n: bigint) =>
  at !== undefined && at !== null && n >= BigInt(at)
const timeActive = (at: number | null | undefined, t: bigint) =>
  at !== undefined && at !== null && t >= BigInt(at)

export const isLondon = (c: ChainConfig, n: bigint) => blockActive(c.londonBlock, n)
export const isShanghai = (c: ChainConfig, n: bigint, t: bigint) =>
  isLondon(c, n) && timeActive(c.shanghaiTime, t)
export const isCancun = (c: ChainConfig, n: bigint, t: bigint) =>
  isLondon(c, n) && timeActive(c.cancunTime, t)
export const isPrague = (c: ChainConfig, n: bigint, t: bigint) =>
  isLondon(c, n) && timeActive(c.pragueTime, t)
export const isOsaka = (c: ChainConfig, n: bigint, t: bigint) =>
  isLondon(c, n) && timeActive(c.osakaTime, t)
export const isAmsterdam = (c: ChainConfig, n: bigint, t: bigint) =>
  isLondon(c, n) && timeActive(c.amsterdamTime, t)

/** The blob-parameter-only forks (EIP-7892), latest first: their schedule entry and time field. */
const bpoForks = ['bpo5', 'bpo4', 'bpo3', 'bpo2', 'bpo1'] as const

export function terminalTotalDifficulty(c: ChainConfig): bigint | undefined {
  const t = c.terminalTotalDifficulty
  return t === undefined || t === null ? undefined : BigInt(t)
}

/** The blob schedule entry in force at (number, time), or undefined before Cancun. */
export function blobScheduleAt(
  c: ChainConfig,
  n: bigint,
  t: bigint,
): BlobScheduleEntry | undefined {
  const s = { ...defaultBlobSchedule, ...(c.blobSchedule ?? {}) }
  if (isLondon(c, n))
    for (const b of bpoForks) {
      const at = c[`${b}Time`] as number | null | undefined
      if (timeActive(at, t) && s[b] !== undefined) return s[b]
    }
  if (isOsaka(c, n, t)) return s.osaka
  if (isPrague(c, n, t)) return s.prague
  if (isCancun(c, n, t)) return s.cancun
  return undefined
}

/** Largest blob gas a block at (number, time) may use. */
export function maxBlobGas(c: ChainConfig, n: bigint, t: bigint): bigint {
  const s = blobScheduleAt(c, n, t)
  return s ? BigInt(s.max) * gasPerBlob : 0n
}
