import type { Clock, Msg, MsgReadWriter } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import {
  bytesToHex,
  decodeStatus,
  encodeStatus,
  equalBytes,
  type ForkId,
  isStatusEth69,
  isWireError,
  MsgCode,
  type Status,
  type StatusEth63,
  type StatusEth64,
  type StatusEth69,
} from '@ethwire/rlp-wire'
import { handshakeTimeoutMs, maxStatusSizeBytes } from './constants.js'
import { HandshakeError, isHandshakeError } from './errors.js'
import { computeForkId, createForkFilter, type ForkConfig, type ForkFilter } from './forkid.js'

/** What we tell peers about our chain; the Status we send is built from it for each version. */
export interface LocalStatus {
  networkId: bigint
  genesisHash: Uint8Array
  /** Our head block. */
  head: { hash: Uint8Array; number: bigint; time: bigint }
  /** Total difficulty of the head (sent on eth/62–68; absent on eth/69+). */
  td: bigint
  /** eth/69+: the earliest block whose body and receipts we serve (default 0). */
  earliestBlock?: bigint
  /** Our fork schedule, for the fork id we send and the filter we apply (eth/64+). */
  forks: ForkConfig
}

/** The Status we send on eth/`version` for `local`. */
export function buildStatus(version: number, local: LocalStatus): Status {
  if (version >= 69) {
    const s: StatusEth69 = {
      version,
      networkId: local.networkId,
      genesis: local.genesisHash,
      forkId: computeForkId(local.forks, local.head),
      earliestBlock: local.earliestBlock ?? 0n,
      latestBlock: local.head.number,
      latestBlockHash: local.head.hash,
    }
    return s
  }
  const base: StatusEth63 = {
    version,
    networkId: local.networkId,
    td: local.td,
    head: local.head.hash,
    genesis: local.genesisHash,
  }
  if (version < 64) return base
  const s: StatusEth64 = { ...base, forkId: computeForkId(local.forks, local.head) }
  return s
}

export interface HandshakeDeps {
  /** The negotiated stream; its `version` decides the Status shape. */
  conn: MsgReadWriter & { readonly version: number }
  local: LocalStatus
  /** Default: the system clock. */
  clock?: Clock
}

export interface HandshakeOptions {
  /** Default {@link handshakeTimeoutMs} (5 s). */
  timeoutMs?: number
  /** Default {@link maxStatusSizeBytes} (10 MiB). */
  maxStatusSizeBytes?: number
  /** Replaces the EIP-2124 filter built from `local.forks` (e.g. one shared across peers). */
  forkFilter?: ForkFilter
  /**
   * Close the connection with the failure's disconnect reason when the handshake fails
   * (default true). Not done for `ErrClosed` or when `signal` aborts.
   */
  closeOnError?: boolean
  signal?: AbortSignal
}

export interface HandshakeResult {
  /** The negotiated eth version. */
  version: number
  /** The Status the peer sent (validated). */
  remote: Status
  /** The Status we sent. */
  local: Status
}

/**
 * Runs the Status exchange on `conn`: sends our Status and reads the peer's concurrently, then
 * checks it (message code, size, decoding, network id, protocol version, genesis, fork id on
 * eth/64+, block range on eth/69+). Throws a {@link HandshakeError} on any failure (after closing
 * the connection with its disconnect reason unless `closeOnError` is false), or the abort reason
 * when `signal` aborts.
 */
export async function handshake(
  deps: HandshakeDeps,
  options: HandshakeOptions = {},
): Promise<HandshakeResult> {
  const { conn, local } = deps
  const clock = deps.clock ?? systemClock
  const version = conn.version
  const timeoutMs = options.timeoutMs ?? handshakeTimeoutMs
  const signal = options.signal
  signal?.throwIfAborted()

  const sent = buildStatus(version, local)
  const inner = new AbortController()
  let timedOut = false
  let onTimeout: () => void = () => {}
  const timeout = new Promise<never>((_, reject) => {
    onTimeout = () => {
      timedOut = true
      reject(new HandshakeError('ErrTimeout', `no Status within ${timeoutMs} ms`))
      inner.abort()
    }
  })
  timeout.catch(() => {})
  const timer = clock.setTimeout(() => onTimeout(), timeoutMs)
  const onAbort = () => inner.abort(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })

  try {
    const write = conn.writeMsg(MsgCode.Status, encodeStatus(sent))
    const read = conn.readMsg(inner.signal)
    // Both run concurrently; a failing write must not leave an unhandled rejection behind.
    write.catch(() => {})
    read.catch(() => {})
    const [, msg] = await Promise.race([Promise.all([write, read]), timeout])
    const filter = options.forkFilter ?? createForkFilter(local.forks, () => ({ ...local.head }))
    const remote = checkStatus(version, local, msg, filter, options.maxStatusSizeBytes)
    return { version, remote, local: sent }
  } catch (err) {
    const failure = toHandshakeError(err, timedOut, signal)
    if (isHandshakeError(failure) && failure.code !== 'ErrClosed') {
      if (options.closeOnError ?? true) await conn.close(failure.disconnectReason).catch(() => {})
    }
    throw failure
  } finally {
    clock.clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** Maps a failure of the exchange to a {@link HandshakeError} where one applies (internal). */
export function toHandshakeError(err: unknown, timedOut: boolean, signal?: AbortSignal): unknown {
  if (isHandshakeError(err)) return err
  if (timedOut) return new HandshakeError('ErrTimeout', 'no Status in time', { cause: err })
  if (signal?.aborted) return signal.reason ?? err
  if (isWireError(err, 'ErrClosed')) {
    return new HandshakeError('ErrClosed', 'connection closed during the Status exchange', {
      cause: err,
      remoteReason: err.reason,
      remote: err.remote,
    })
  }
  if (isWireError(err, 'ErrMsgTooLarge')) {
    return new HandshakeError('ErrMsgTooLarge', err.message, { cause: err })
  }
  return err
}

/**
 * Validates one received message as the peer's Status for eth/`version`; returns it decoded or
 * throws the matching {@link HandshakeError}. Exported for transports that read the first
 * message themselves.
 */
export function checkStatus(
  version: number,
  local: LocalStatus,
  msg: Pick<Msg, 'code' | 'size' | 'payload'>,
  filter: ForkFilter,
  maxSize = maxStatusSizeBytes,
): Status {
  if (msg.code !== MsgCode.Status) {
    throw new HandshakeError(
      'ErrNoStatusMsg',
      `first message has code 0x${msg.code.toString(16)}, want Status (0x00)`,
    )
  }
  if (msg.size > maxSize || msg.payload.length > maxSize) {
    throw new HandshakeError('ErrMsgTooLarge', `Status of ${msg.size} bytes over ${maxSize}`)
  }
  let s: Status
  try {
    s = decodeStatus(version, msg.payload)
  } catch (err) {
    throw new HandshakeError('ErrDecode', `undecodable eth/${version} Status`, { cause: err })
  }
  if (s.networkId !== local.networkId) {
    throw new HandshakeError(
      'ErrNetworkIdMismatch',
      `network id ${s.networkId} (want ${local.networkId})`,
    )
  }
  if (s.version !== version) {
    throw new HandshakeError(
      'ErrProtocolVersionMismatch',
      `Status version ${s.version} on an eth/${version} stream`,
    )
  }
  if (!equalBytes(s.genesis, local.genesisHash)) {
    throw new HandshakeError(
      'ErrGenesisMismatch',
      `genesis ${bytesToHex(s.genesis)} (want ${bytesToHex(local.genesisHash)})`,
    )
  }
  if (version >= 64) {
    const forkId = (s as { forkId: ForkId }).forkId
    const rejection = filter(forkId)
    if (rejection !== undefined) {
      throw new HandshakeError(
        'ErrForkIdRejected',
        `fork id ${bytesToHex(forkId.hash)}/${forkId.next}: ${rejection}`,
        { forkIdReason: rejection },
      )
    }
  }
  if (isStatusEth69(s)) {
    if (s.earliestBlock > s.latestBlock) {
      throw new HandshakeError(
        'ErrInvalidBlockRange',
        `earliest block ${s.earliestBlock} above latest ${s.latestBlock}`,
      )
    }
    if (s.latestBlockHash.every((b) => b === 0)) {
      throw new HandshakeError('ErrInvalidBlockRange', 'zero latest block hash')
    }
  }
  return s
}
