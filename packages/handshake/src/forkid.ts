import {
  asFixed,
  asList,
  asUint,
  bytesToHex,
  type ForkId,
  rlpDecode,
  rlpEncode,
} from '@ethwire/rlp-wire'
import { forkIdTimestampThreshold } from './constants.js'
import type { ForkIdRejection } from './errors.js'

/**
 * The fork schedule of a chain, as EIP-2124 needs it: the genesis hash, the blocks and
 * timestamps at which forks activate. Order and duplicates do not matter; block forks at 0 and
 * time forks at or before `genesisTime` are ignored (they are part of genesis).
 */
export interface ForkConfig {
  genesisHash: Uint8Array
  /** Genesis timestamp (default 0). */
  genesisTime?: bigint
  forksByBlock: readonly bigint[]
  forksByTime: readonly bigint[]
}

/** A chain head as fork ids see it. */
export interface ForkHead {
  number: bigint
  time: bigint
}

// ---------------------------------------------------------------------------------------------
// CRC32 (IEEE 802.3, reflected polynomial 0xEDB88320), as EIP-2124 specifies.

const crcTable = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/**
 * CRC32-IEEE of `data`, continuing from `crc` (the checksum of the bytes before `data`; 0 to
 * start). Same results as zlib's `crc32(data, crc)`.
 */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function uint64Bytes(n: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n))
  return b
}

function checksumBytes(c: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, c)
  return b
}

/** The fork checksum after folding one more fork (8-byte big-endian) into `crc`. */
export function forkChecksumUpdate(crc: number, fork: bigint): number {
  return crc32(uint64Bytes(fork), crc)
}

/** The config's forks sorted, de-duplicated, without the ones folded into genesis. */
export function gatherForks(config: ForkConfig): { forksByBlock: bigint[]; forksByTime: bigint[] } {
  const genesisTime = config.genesisTime ?? 0n
  const norm = (xs: readonly bigint[], min: bigint) =>
    [...new Set(xs)].filter((x) => x > min).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return {
    forksByBlock: norm(config.forksByBlock, 0n),
    forksByTime: norm(config.forksByTime, genesisTime),
  }
}

/**
 * Reads the fork schedule from a go-ethereum style chain config (genesis.json `config`): every
 * numeric field named `…Block` is a block fork, every `…Time` a time fork (as go-ethereum's
 * reflection over `ChainConfig` does; `terminalTotalDifficulty` is not a fork).
 */
export function forksFromGethConfig(config: Record<string, unknown>): {
  forksByBlock: bigint[]
  forksByTime: bigint[]
} {
  const forksByBlock: bigint[] = []
  const forksByTime: bigint[] = []
  const num = (v: unknown): bigint | undefined =>
    typeof v === 'number' && Number.isInteger(v)
      ? BigInt(v)
      : typeof v === 'bigint'
        ? v
        : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)
          ? BigInt(v)
          : undefined
  for (const [k, v] of Object.entries(config)) {
    const n = num(v)
    if (n === undefined) continue
    if (k.endsWith('Block')) forksByBlock.push(n)
    else if (k.endsWith('Time')) forksByTime.push(n)
  }
  return { forksByBlock, forksByTime }
}

/** The EIP-2124 fork id of a chain at `head`. */
export function computeForkId(config: ForkConfig, head: ForkHead): ForkId {
  const { forksByBlock, forksByTime } = gatherForks(config)
  let crc = crc32(config.genesisHash)
  for (const fork of forksByBlock) {
    if (fork <= head.number) crc = forkChecksumUpdate(crc, fork)
    else return { hash: checksumBytes(crc), next: fork }
  }
  for (const fork of forksByTime) {
    if (fork <= head.time) crc = forkChecksumUpdate(crc, fork)
    else return { hash: checksumBytes(crc), next: fork }
  }
  return { hash: checksumBytes(crc), next: 0n }
}

/** Validates a remote fork id: `undefined` to accept, else why it is rejected. */
export type ForkFilter = (remote: ForkId) => ForkIdRejection | undefined

const maxUint64 = (1n << 64n) - 1n

/**
 * An EIP-2124 filter for the local chain. `head` is read on every call, so the filter follows the
 * local chain as it grows.
 *
 * Rules: (1) same checksum as our current fork: accept unless the remote's announced next fork
 * already passed locally (1a); (2) the remote's checksum is one of our past forks: accept only if
 * its next fork is the fork that followed there (else the remote is stale); (3) the remote's
 * checksum is one of our future forks: accept (we are syncing); (4) reject otherwise.
 */
export function createForkFilter(config: ForkConfig, head: () => ForkHead): ForkFilter {
  const { forksByBlock, forksByTime } = gatherForks(config)
  const forks = [...forksByBlock, ...forksByTime]
  const sums: number[] = [crc32(config.genesisHash)]
  for (const fork of forks) sums.push(forkChecksumUpdate(sums[sums.length - 1]!, fork))
  // A sentinel fork that is never passed, so the search always finds an unpassed fork.
  forks.push(maxUint64)
  const blockForkCount = forksByTime.length === 0 ? forks.length : forksByBlock.length

  return (remote) => {
    if (remote.hash.length !== 4) return 'ErrLocalIncompatibleOrStale'
    const remoteSum = new DataView(remote.hash.buffer, remote.hash.byteOffset, 4).getUint32(0)
    const { number, time } = head()
    for (let i = 0; i < forks.length; i++) {
      const fork = forks[i]!
      const h = i < blockForkCount ? number : time
      if (h >= fork) continue
      // forks[i] is the first fork not yet passed locally; sums[i] our current checksum.
      if (sums[i] === remoteSum) {
        // Rule 1a: a fork the remote announces has already passed here.
        const cmp = remote.next > forkIdTimestampThreshold ? time : number
        if (remote.next > 0n && cmp >= remote.next) return 'ErrLocalIncompatibleOrStale'
        return undefined
      }
      // Rule 2: the remote is at one of our past forks.
      for (let j = 0; j < i; j++) {
        if (sums[j] === remoteSum) return forks[j] === remote.next ? undefined : 'ErrRemoteStale'
      }
      // Rule 3: the remote is at one of our future forks.
      for (let j = i + 1; j < sums.length; j++) if (sums[j] === remoteSum) return undefined
      return 'ErrLocalIncompatibleOrStale'
    }
    return undefined // unreachable: the sentinel is never passed
  }
}

/** One-shot validation of `remote` against the local chain at `head`. */
export function validateForkId(
  config: ForkConfig,
  head: ForkHead,
  remote: ForkId,
): ForkIdRejection | undefined {
  return createForkFilter(config, () => head)(remote)
}

/** RLP `[hash: B_4, next: P]`. */
export function encodeForkId(id: ForkId): Uint8Array {
  return rlpEncode([id.hash, id.next])
}

/** Strict decoding of RLP `[hash: B_4, next: P]`; throws `WireError` on malformed input. */
export function decodeForkId(bytes: Uint8Array): ForkId {
  const f = asList(rlpDecode(bytes), 'forkId', 2)
  return { hash: asFixed(f[0], 'forkId.hash', 4), next: asUint(f[1], 'forkId.next', 8) }
}

/** `0xhash/next`, for logs. */
export function formatForkId(id: ForkId): string {
  return `${bytesToHex(id.hash)}/${id.next}`
}
