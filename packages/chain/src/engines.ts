/** Consensus engines behind one interface: beacon (post-merge), clique, faker and fake proof-of-work. */
import {
  BlockHeader,
  bigIntToBytes,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  EMPTY_UNCLE_HASH,
  equalBytes,
  keccak256,
} from '@ethwire/rlp-wire'
import {
  cliqueDefaultEpoch,
  cliqueDiffInTurn,
  cliqueDiffNoTurn,
  cliqueSealBytes,
  cliqueSnapshotCacheEntries,
  cliqueVanityBytes,
  maxExtraDataBytes,
} from './constants.js'
import { ChainError } from './errors.js'
import { verifyCommonHeader } from './rules.js'
import type { CliqueCrypto, HeaderReader } from './types.js'

export interface Engine {
  readonly name: string
  /**
   * Checks every header rule of `header` against `parent`, including the seal unless `seal` is
   * false (go-ethereum's `VerifyHeader(…, seal)`: a fast sync checks the seals of a sample of the
   * headers below its pivot; clique then skips the signer's recovery and the rules that need it).
   */
  verifyHeader(
    chain: HeaderReader,
    header: BlockHeader,
    parent: BlockHeader,
    seal?: boolean,
  ): Promise<void>
  /** Checks only the seal. */
  verifySeal(chain: HeaderReader, header: BlockHeader, parent: BlockHeader): Promise<void>
  /** Fills the consensus fields (difficulty, extra, nonce, mix) of an unsealed header. */
  prepare(chain: HeaderReader, header: BlockHeader, parent: BlockHeader): Promise<BlockHeader>
  /** Returns the sealed header. */
  seal(chain: HeaderReader, header: BlockHeader, signal?: AbortSignal): Promise<BlockHeader>
  /** The account credited for the block (clique: the signer). */
  author(header: BlockHeader): Uint8Array
}

const ZERO_NONCE = new Uint8Array(8)
const ZERO_HASH = new Uint8Array(32)

const withFields = (h: BlockHeader, f: Partial<ReturnType<BlockHeader['toData']>>) =>
  BlockHeader.fromData({ ...h.toData(), ...f })

/** Accepts every seal; every other header rule still applies (`maxExtra` 32). For tests. */
export function createFaker(): Engine {
  return {
    name: 'faker',
    async verifyHeader(chain, header, parent) {
      verifyCommonHeader(chain.config, header, parent, maxExtraDataBytes)
    },
    async verifySeal() {},
    async prepare(_chain, header, parent) {
      return withFields(header, { difficulty: parent.difficulty === 0n ? 1n : parent.difficulty })
    },
    async seal(_chain, header) {
      return header
    },
    author: (h) => h.coinbase,
  }
}

/**
 * go-ethereum's `--fakepow`: proof-of-work headers whose ethash seal is not checked (difficulty,
 * mix and nonce accepted as given); every other header rule applies.
 */
export function createFakePow(): Engine {
  return { ...createFaker(), name: 'fakepow' }
}

/**
 * Beacon rules for post-merge headers (parent total difficulty ≥ the terminal total difficulty):
 * difficulty 0, nonce 0, no uncles, extra-data ≤ 32. Pre-merge headers go to `inner`.
 * `isPostMerge` is answered by the chain, which knows total difficulties.
 */
export function createBeacon(inner: Engine): Engine & { readonly inner: Engine } {
  const post = (h: BlockHeader) => h.difficulty === 0n
  return {
    name: `beacon(${inner.name})`,
    inner,
    async verifyHeader(chain, header, parent, seal) {
      if (!post(header)) return inner.verifyHeader(chain, header, parent, seal)
      verifyCommonHeader(chain.config, header, parent, maxExtraDataBytes)
      verifyBeaconFields(header)
    },
    async verifySeal(chain, header, parent) {
      if (!post(header)) return inner.verifySeal(chain, header, parent)
      verifyBeaconFields(header)
    },
    async prepare(chain, header, parent) {
      if (parent.difficulty !== 0n) return inner.prepare(chain, header, parent)
      return withFields(header, { difficulty: 0n, nonce: ZERO_NONCE, mixDigest: header.mixDigest })
    },
    async seal(chain, header, signal) {
      return post(header) ? header : inner.seal(chain, header, signal)
    },
    author: (h) => (post(h) ? h.coinbase : inner.author(h)),
  }
}

/** The beacon-specific fields of a post-merge header. */
export function verifyBeaconFields(header: BlockHeader): void {
  const n = header.number
  if (header.difficulty !== 0n)
    throw new ChainError(
      'ErrInvalidDifficulty',
      `block ${n}: post-merge difficulty ${header.difficulty}`,
      n,
    )
  if (!equalBytes(header.nonce, ZERO_NONCE))
    throw new ChainError('ErrInvalidNonce', `block ${n}: post-merge nonce must be zero`, n)
  if (!equalBytes(header.uncleHash, EMPTY_UNCLE_HASH))
    throw new ChainError('ErrInvalidUncles', `block ${n}: post-merge block with uncles`, n)
}

// ---------------------------------------------------------------- clique

export interface CliqueOptions {
  /** Seconds between blocks (genesis `config.clique.period`). */
  period?: number
  /** Blocks between checkpoints (genesis `config.clique.epoch`, default 30000). */
  epoch?: number
  /** The dev sealer's key; needed only to `seal`. */
  signerKey?: Uint8Array
}

export interface CliqueEngine extends Engine {
  readonly period: bigint
  readonly epoch: bigint
  /** The authorised signers at the child of `parent`, sorted ascending. */
  signers(chain: HeaderReader, parent: BlockHeader): Promise<Uint8Array[]>
  /** The hash a clique signer signs (header with the 65-byte seal cut off extra-data). */
  sealHash(header: BlockHeader): Uint8Array
}

/** Signer addresses in a checkpoint header's extra-data. */
export function cliqueCheckpointSigners(header: BlockHeader): Uint8Array[] {
  const e = header.extra
  const len = e.length - cliqueVanityBytes - cliqueSealBytes
  if (len < 0 || len % 20 !== 0)
    throw new ChainError(
      'ErrInvalidCheckpoint',
      `block ${header.number}: bad checkpoint signer list`,
      header.number,
    )
  const out: Uint8Array[] = []
  for (let i = 0; i < len / 20; i++)
    out.push(e.slice(cliqueVanityBytes + i * 20, cliqueVanityBytes + (i + 1) * 20))
  return out
}

const cmpBytes = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}

/**
 * Clique proof-of-authority (EIP-225) without voting: the signer set is the one listed by the most
 * recent checkpoint (genesis or every `epoch` blocks). Blocks that cast a vote (non-zero coinbase or a
 * non-zero nonce) are refused with `ErrCliqueVoteUnsupported`.
 */
export function createClique(
  deps: { crypto: CliqueCrypto },
  options: CliqueOptions = {},
): CliqueEngine {
  const period = BigInt(options.period ?? 0)
  const epoch = BigInt(options.epoch ?? Number(cliqueDefaultEpoch))
  const { crypto } = deps
  const recoveredCache = new Map<string, Uint8Array>()

  const sealHash = (h: BlockHeader) => {
    if (h.extra.length < cliqueSealBytes)
      throw new ChainError(
        'ErrInvalidSeal',
        `block ${h.number}: extra-data shorter than the seal`,
        h.number,
      )
    return keccak256(
      withFields(h, { extra: h.extra.subarray(0, h.extra.length - cliqueSealBytes) }).encode(),
    )
  }

  const author = (h: BlockHeader): Uint8Array => {
    const key = bytesToHex(h.hash)
    const hit = recoveredCache.get(key)
    if (hit) return hit
    const sig = h.extra.subarray(h.extra.length - cliqueSealBytes)
    const r = bytesToBigInt(sig.subarray(0, 32))
    const s = bytesToBigInt(sig.subarray(32, 64))
    const v = sig[64] as number
    let addr: Uint8Array
    try {
      if (v > 1) throw new Error(`recovery id ${v}`)
      addr = crypto.recoverAddress(sealHash(h), r, s, v)
    } catch (e) {
      throw new ChainError(
        'ErrInvalidSeal',
        `block ${h.number}: bad signature (${(e as Error).message})`,
        h.number,
      )
    }
    if (recoveredCache.size > 4096) recoveredCache.clear()
    recoveredCache.set(key, addr)
    return addr
  }

  // Signer set in force after a header, by header hash (bounded, oldest evicted first), so
  // verification does not walk back to the checkpoint for every block.
  const setAfter = new Map<string, Uint8Array[]>()
  const remember = (hash: Uint8Array, set: Uint8Array[]) => {
    if (setAfter.size >= cliqueSnapshotCacheEntries) {
      const oldest = setAfter.keys().next().value
      if (oldest !== undefined) setAfter.delete(oldest)
    }
    setAfter.set(bytesToHex(hash), set)
  }
  const signers = async (chain: HeaderReader, parent: BlockHeader): Promise<Uint8Array[]> => {
    // Walk back to a cached header or the most recent checkpoint at or below parent.
    const cpNumber = (parent.number / epoch) * epoch
    const path: BlockHeader[] = []
    let h: BlockHeader | undefined = parent
    let set: Uint8Array[] | undefined
    while (h) {
      set = setAfter.get(bytesToHex(h.hash))
      if (set) break
      if (h.number <= cpNumber) {
        set = cliqueCheckpointSigners(h).sort(cmpBytes)
        remember(h.hash, set)
        break
      }
      path.push(h)
      h = await chain.getHeader(h.parentHash, h.number - 1n)
    }
    if (!set)
      throw new ChainError(
        'ErrUnknownParent',
        `checkpoint ${cpNumber} not found`,
        parent.number + 1n,
      )
    for (const p of path) remember(p.hash, set)
    return set
  }

  const indexOf = (list: Uint8Array[], a: Uint8Array) => list.findIndex((x) => equalBytes(x, a))

  const verifySeal = async (chain: HeaderReader, header: BlockHeader, parent: BlockHeader) => {
    const n = header.number
    const set = await signers(chain, parent)
    const signer = author(header)
    const idx = indexOf(set, signer)
    if (idx < 0)
      throw new ChainError(
        'ErrUnauthorizedSigner',
        `block ${n}: ${bytesToHex(signer)} is not a signer`,
        n,
      )
    // A signer may sign once per floor(N/2)+1 consecutive blocks.
    const limit = BigInt(Math.floor(set.length / 2) + 1)
    let h: BlockHeader | undefined = parent
    while (h && h.number > 0n && n - h.number < limit) {
      if (equalBytes(author(h), signer))
        throw new ChainError(
          'ErrRecentlySigned',
          `block ${n}: signer also signed block ${h.number}`,
          n,
        )
      h = await chain.getHeader(h.parentHash, h.number - 1n)
    }
    const inTurn = BigInt(set.length) > 0n && n % BigInt(set.length) === BigInt(idx)
    const want = inTurn ? cliqueDiffInTurn : cliqueDiffNoTurn
    if (header.difficulty !== want)
      throw new ChainError(
        'ErrInvalidDifficulty',
        `block ${n}: difficulty ${header.difficulty}, want ${want}`,
        n,
      )
  }

  return {
    name: 'clique',
    period,
    epoch,
    sealHash,
    signers,
    author,
    verifySeal,
    async verifyHeader(chain, header, parent, seal) {
      const n = header.number
      const fail = (code: ConstructorParameters<typeof ChainError>[0], m: string): never => {
        throw new ChainError(code, `block ${n}: ${m}`, n)
      }
      verifyCommonHeader(chain.config, header, parent, undefined)
      if (header.time < parent.time + period)
        fail('ErrInvalidTimestamp', `less than period ${period}s after parent`)
      const checkpoint = n % epoch === 0n
      if (!equalBytes(header.nonce, ZERO_NONCE) || !equalBytes(header.coinbase, new Uint8Array(20)))
        fail('ErrCliqueVoteUnsupported', 'votes (coinbase/nonce) are not supported')
      const signerBytes = header.extra.length - cliqueVanityBytes - cliqueSealBytes
      if (signerBytes < 0) fail('ErrExtraDataTooLong', 'extra-data lacks vanity and seal')
      if (!checkpoint && signerBytes !== 0)
        fail('ErrInvalidCheckpoint', 'signer list outside a checkpoint')
      if (checkpoint) {
        const listed = cliqueCheckpointSigners(header).sort(cmpBytes)
        const current = await signers(chain, parent)
        if (
          listed.length !== current.length ||
          listed.some((a, i) => !equalBytes(a, current[i] as Uint8Array))
        )
          fail('ErrInvalidCheckpoint', 'checkpoint signer list differs from the signer set')
      }
      if (!equalBytes(header.mixDigest, ZERO_HASH))
        fail('ErrInvalidMixDigest', 'mix digest must be zero')
      if (!equalBytes(header.uncleHash, EMPTY_UNCLE_HASH))
        fail('ErrInvalidUncles', 'clique blocks have no uncles')
      if (header.difficulty !== cliqueDiffInTurn && header.difficulty !== cliqueDiffNoTurn)
        fail('ErrInvalidDifficulty', `difficulty ${header.difficulty}`)
      if (seal !== false) await verifySeal(chain, header, parent)
    },
    async prepare(chain, header, parent) {
      const set = await signers(chain, parent)
      const n = header.number
      const key = options.signerKey
      const me = key && crypto.privateKeyToAddress ? crypto.privateKeyToAddress(key) : undefined
      const idx = me ? indexOf(set, me) : -1
      const inTurn = idx >= 0 && n % BigInt(set.length) === BigInt(idx)
      const vanity = new Uint8Array(cliqueVanityBytes)
      vanity.set(header.extra.subarray(0, cliqueVanityBytes))
      const list = n % epoch === 0n ? concatBytes(...set) : new Uint8Array(0)
      const minTime = parent.time + period
      return withFields(header, {
        difficulty: inTurn ? cliqueDiffInTurn : cliqueDiffNoTurn,
        extra: concatBytes(vanity, list, new Uint8Array(cliqueSealBytes)),
        mixDigest: ZERO_HASH,
        nonce: ZERO_NONCE,
        coinbase: new Uint8Array(20),
        uncleHash: EMPTY_UNCLE_HASH,
        time: header.time < minTime ? minTime : header.time,
      })
    },
    async seal(_chain, header) {
      const key = options.signerKey
      if (!key || !crypto.sign)
        throw new ChainError('ErrUnauthorizedSigner', 'clique engine has no signer key')
      const { r, s, recovery } = crypto.sign(sealHash(header), key)
      const sig = new Uint8Array(cliqueSealBytes)
      sig.set(pad32(r), 0)
      sig.set(pad32(s), 32)
      sig[64] = recovery
      const extra = concatBytes(
        header.extra.subarray(0, header.extra.length - cliqueSealBytes),
        sig,
      )
      return withFields(header, { extra })
    },
  }
}

const pad32 = (n: bigint) => {
  const b = bigIntToBytes(n)
  const out = new Uint8Array(32)
  out.set(b, 32 - b.length)
  return out
}
