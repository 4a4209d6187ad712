/**
 * One negotiated eth stream over libp2p as an `EthConnection`: frames in and out, the payload cap
 * checked from the length prefix, read- and write-side back-pressure, and a close that sends a
 * Disconnect frame the other side reports as `closeInfo.reason` with `remote: true`.
 */
import {
  copyThresholdBytes,
  closeTimeoutMs as defaultCloseTimeoutMs,
  disconnectFrameCode,
  maxFrameCode,
  readQueueHighWaterBytes,
  writeBufferHighWaterBytes,
} from './constants.js'
import {
  encodeFrame,
  encodeFrameHeader,
  type Frame,
  FrameDecoder,
  varintLength,
  writeVarint,
} from './framing.js'
import type { FrameStream } from './types.js'
import {
  type CloseInfo,
  type Direction,
  DisconnectReason,
  type EthConnection,
  isWireError,
  type Msg,
  WireError,
} from './wire.js'

export interface Libp2pEthConnectionInit {
  readonly stream: FrameStream
  readonly version: number
  /** `outbound` when we opened the stream (dialed). */
  readonly direction: Direction
  readonly remoteId: string
  readonly remoteAddress: string
  readonly maxMessageSizeBytes: number
  /** Stamps `Msg.receivedAt`. */
  readonly now: () => number
  /** How long close waits for the stream to finish before aborting it. */
  readonly closeTimeoutMs?: number
  /** Called once, after the stream is closed (either side), e.g. to hang up the libp2p connection. */
  readonly onClosed?: (info: CloseInfo) => void
}

interface Reader {
  resolve(msg: Msg): void
  reject(err: unknown): void
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

interface PendingWrite {
  readonly code: number
  readonly payload: Uint8Array
  resolve(): void
  reject(err: unknown): void
}

/** Stream buffer allowed while paused: the largest yamux window (16 MiB) plus one frame. */
const streamReadBufferBytes = 32 * 1024 * 1024

function disconnectPayload(reason: number): Uint8Array {
  const out = new Uint8Array(varintLength(reason))
  writeVarint(reason, out, 0)
  return out
}

function parseDisconnectReason(payload: Uint8Array): number {
  // A varint reason; anything unreadable counts as a protocol error from the peer.
  let value = 0
  for (let i = 0; i < payload.length && i < 4; i++) {
    const b = payload[i] as number
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return value
  }
  return DisconnectReason.ProtocolError
}

export class Libp2pEthConnection implements EthConnection {
  readonly version: number
  readonly direction: Direction
  readonly remoteId: string
  readonly remoteAddress: string
  readonly transport = 'libp2p' as const

  readonly #stream: FrameStream
  readonly #decoder: FrameDecoder
  readonly #maxMessageSizeBytes: number
  readonly #now: () => number
  readonly #closeTimeoutMs: number
  readonly #onClosed: ((info: CloseInfo) => void) | undefined

  #queue: Msg[] = []
  #queueHead = 0
  #queuedBytes = 0
  #paused = false
  /** Pending reads, first come first served. */
  #readers: Reader[] = []
  #failure: WireError | undefined
  #closeInfo: CloseInfo | undefined
  #closing: Promise<void> | undefined
  #writes: PendingWrite[] = []
  #batch: Uint8Array[] = []
  #batchBytes = 0
  #pumping = false
  #finished: Promise<void> | undefined

  constructor(init: Libp2pEthConnectionInit) {
    this.#stream = init.stream
    this.version = init.version
    this.direction = init.direction
    this.remoteId = init.remoteId
    this.remoteAddress = init.remoteAddress
    this.#maxMessageSizeBytes = init.maxMessageSizeBytes
    this.#now = init.now
    this.#closeTimeoutMs = init.closeTimeoutMs ?? defaultCloseTimeoutMs
    this.#onClosed = init.onClosed
    this.#decoder = new FrameDecoder({ maxPayloadBytes: init.maxMessageSizeBytes })
    if (this.#stream.maxReadBufferLength < streamReadBufferBytes)
      this.#stream.maxReadBufferLength = streamReadBufferBytes
    this.#stream.addEventListener('message', this.#onMessage)
    this.#stream.addEventListener('close', this.#onStreamClose)
    this.#stream.addEventListener('end', this.#onStreamEnd)
  }

  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo
  }

  /** Payload bytes received and decoded but not yet read (what read-side back-pressure bounds). */
  get readQueueBytes(): number {
    return this.#queuedBytes
  }

  // ---- reading ----

  /**
   * The next message not yet handed out. Concurrent calls queue and are served first come, first
   * served; an aborted signal rejects with its reason and takes no message.
   */
  readMsg(signal?: AbortSignal): Promise<Msg> {
    if (this.#failure !== undefined) {
      const err = this.#failure
      this.#failure = undefined
      return Promise.reject(err)
    }
    if (this.#closeInfo !== undefined) return Promise.reject(this.#closedError())
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    if (this.#queueHead < this.#queue.length) return Promise.resolve(this.#shift())
    return new Promise<Msg>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#readers.indexOf(reader)
        if (i >= 0) this.#readers.splice(i, 1)
        reject(abortReason(signal as AbortSignal))
      }
      const reader: Reader = {
        resolve: (msg) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(msg)
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#readers.push(reader)
    })
  }

  #shift(): Msg {
    const msg = this.#queue[this.#queueHead] as Msg
    this.#queue[this.#queueHead] = undefined as unknown as Msg
    this.#queueHead++
    if (this.#queueHead === this.#queue.length) {
      this.#queue = []
      this.#queueHead = 0
    }
    this.#queuedBytes -= msg.size
    if (this.#paused && this.#queuedBytes <= readQueueHighWaterBytes / 2) {
      this.#paused = false
      try {
        this.#stream.resume()
      } catch {
        // the stream is closing; the close event settles everything
      }
    }
    return msg
  }

  readonly #onMessage = (evt: { data: Uint8Array | Iterable<Uint8Array> }): void => {
    if (this.#closeInfo !== undefined) return
    const data = evt.data
    try {
      if (data instanceof Uint8Array) this.#decoder.push(data, this.#onFrame)
      // A Uint8ArrayList: feed its chunks one by one instead of concatenating them first.
      else for (const chunk of data) this.#decoder.push(chunk, this.#onFrame)
    } catch (err) {
      if (this.#closeInfo !== undefined) return
      this.#failure = isWireError(err)
        ? err
        : new WireError('ErrDecode', `undecodable frame: ${String(err)}`, { cause: err })
      void this.close(DisconnectReason.ProtocolError)
    }
  }

  readonly #onFrame = (frame: Frame): void => {
    if (this.#closeInfo !== undefined) return
    if (frame.code === disconnectFrameCode) {
      this.#remoteClosed(parseDisconnectReason(frame.payload))
      return
    }
    const msg: Msg = {
      code: frame.code,
      size: frame.payload.length,
      payload: frame.payload,
      receivedAt: this.#now(),
    }
    const reader = this.#readers.shift()
    if (reader !== undefined) {
      reader.resolve(msg)
      return
    }
    this.#queue.push(msg)
    this.#queuedBytes += msg.size
    if (!this.#paused && this.#queuedBytes > readQueueHighWaterBytes) {
      this.#paused = true
      try {
        this.#stream.pause()
      } catch {
        // closing already
      }
    }
  }

  // ---- writing ----

  writeMsg(code: number, payload: Uint8Array): Promise<void> {
    if (this.#closeInfo !== undefined) return Promise.reject(this.#closedError())
    if (
      !Number.isSafeInteger(code) ||
      code < 0 ||
      code > maxFrameCode ||
      code === disconnectFrameCode
    )
      return Promise.reject(new WireError('ErrUnknownCode', `message code ${code} cannot be sent`))
    if (payload.length > this.#maxMessageSizeBytes)
      return Promise.reject(
        new WireError(
          'ErrMsgTooLarge',
          `payload of ${payload.length} bytes, cap is ${this.#maxMessageSizeBytes}`,
        ),
      )
    if (this.#writes.length === 0 && !this.#pumping && !this.#mustWait()) {
      try {
        this.#sendFrame(code, payload)
      } catch (err) {
        return Promise.reject(this.#closedError(err))
      }
      // Taken by the stream; while its buffer is over the high-water mark the caller waits.
      return this.#mustWait() ? this.#writable() : Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      this.#writes.push({ code, payload, resolve, reject })
      void this.#pump()
    })
  }

  #sendFrame(code: number, payload: Uint8Array): void {
    if (payload.length < copyThresholdBytes) {
      // Small frames written in the same tick go out as one chunk (one yamux frame, one noise
      // record) instead of one each; flushed at the end of the current microtask queue.
      const frame = encodeFrame(code, payload)
      this.#batch.push(frame)
      this.#batchBytes += frame.length
      if (this.#batchBytes >= copyThresholdBytes) this.#flush()
      else if (this.#batch.length === 1) queueMicrotask(this.#flush)
      return
    }
    this.#flush()
    this.#stream.send(encodeFrameHeader(code, payload.length))
    this.#stream.send(payload)
  }

  readonly #flush = (): void => {
    const batch = this.#batch
    if (batch.length === 0) return
    this.#batch = []
    const bytes = this.#batchBytes
    this.#batchBytes = 0
    let chunk: Uint8Array
    if (batch.length === 1) chunk = batch[0] as Uint8Array
    else {
      chunk = new Uint8Array(bytes)
      let off = 0
      for (const f of batch) {
        chunk.set(f, off)
        off += f.length
      }
    }
    try {
      this.#stream.send(chunk)
    } catch {
      // The stream closed under us; the close handling reports it to readers and writers.
    }
  }

  /**
   * Bytes still waiting in the libp2p stream's own buffer (the yamux window is exhausted, or the
   * socket is full). libp2p's `drain` fires for socket drains even while the yamux window is still
   * shut, so the buffer size itself is the signal.
   */
  #mustWait(): boolean {
    return this.#stream.writeBufferLength + this.#batchBytes > writeBufferHighWaterBytes
  }

  /** Resolves once the stream's write buffer is at or under the high-water mark. */
  #writable(): Promise<void> {
    const stream = this.#stream
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.#closeInfo !== undefined) onClose()
        else if (!this.#mustWait()) {
          done()
          resolve()
        }
      }
      const onClose = (): void => {
        done()
        reject(this.#closedError())
      }
      const done = (): void => {
        stream.removeEventListener('drain', check)
        stream.removeEventListener('idle', check)
        stream.removeEventListener('close', onClose)
      }
      stream.addEventListener('drain', check)
      stream.addEventListener('idle', check)
      stream.addEventListener('close', onClose)
      check()
    })
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#writes.length > 0) {
        if (this.#mustWait()) await this.#writable()
        const w = this.#writes.shift() as PendingWrite
        if (this.#closeInfo !== undefined) {
          w.reject(this.#closedError())
          continue
        }
        try {
          this.#sendFrame(w.code, w.payload)
        } catch (err) {
          w.reject(this.#closedError(err))
          continue
        }
        if (this.#mustWait()) this.#writable().then(w.resolve, w.reject)
        else w.resolve()
      }
    } catch (err) {
      for (const w of this.#writes.splice(0)) w.reject(err)
    } finally {
      this.#pumping = false
    }
  }

  // ---- closing ----

  /**
   * Sends the Disconnect frame with `reason`, closes our end, and resolves once the peer has closed
   * its end as well (bounded by the close timeout, after which the stream is aborted). Idempotent.
   */
  close(reason: DisconnectReason | number = DisconnectReason.Requested): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    const alreadyClosed = this.#closeInfo !== undefined
    if (!alreadyClosed) this.#setClosed({ reason, remote: false })
    this.#closing = this.#shutdown(alreadyClosed ? undefined : reason)
    return this.#closing
  }

  #remoteClosed(reason: number): void {
    this.#setClosed({ reason, remote: true })
    this.#closing ??= this.#shutdown(undefined)
  }

  /** Sends the Disconnect frame (if `reason` is given), closes our end, and bounds the wait. */
  async #shutdown(reason: number | undefined): Promise<void> {
    const stream = this.#stream
    if (stream.status === 'open') {
      try {
        this.#flush()
        if (reason !== undefined)
          stream.send(encodeFrame(disconnectFrameCode, disconnectPayload(reason)))
        const ac = new AbortController()
        const timer = setTimeout(() => ac.abort(new Error('close timed out')), this.#closeTimeoutMs)
        try {
          await stream.close({ signal: ac.signal })
        } finally {
          clearTimeout(timer)
        }
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    }
    await this.#finish()
  }

  readonly #onStreamEnd = (): void => {
    // The peer closed its writing end without a Disconnect frame (it crashed or is not one of us).
    if (this.#closeInfo !== undefined) return
    this.#setClosed({ reason: DisconnectReason.NetworkError, remote: true })
    this.#closing ??= this.#shutdown(undefined)
  }

  readonly #onStreamClose = (evt: { error?: Error; local?: boolean }): void => {
    if (this.#closeInfo === undefined) {
      // The stream ended without a Disconnect frame: reset, EOF or the connection went away.
      this.#setClosed({ reason: DisconnectReason.NetworkError, remote: evt.local !== true })
    }
    void this.#finish()
  }

  #setClosed(info: CloseInfo): void {
    this.#closeInfo = info
    this.#queue = []
    this.#queueHead = 0
    this.#queuedBytes = 0
    const readers = this.#readers.splice(0)
    if (readers.length > 0) {
      // The first pending read learns why (a decode failure), the others that it closed.
      const failure = this.#failure
      this.#failure = undefined
      readers.forEach((r, i) => {
        r.reject(i === 0 && failure !== undefined ? failure : this.#closedError())
      })
    }
    for (const w of this.#writes.splice(0)) w.reject(this.#closedError())
  }

  /** Resolves once the stream is done and `onClosed` has run; `close()` waits for it. */
  #finish(): Promise<void> {
    this.#finished ??= this.#awaitStreamDone()
    return this.#finished
  }

  #awaitStreamDone(): Promise<void> {
    this.#stream.removeEventListener('message', this.#onMessage as (evt: never) => void)
    this.#stream.removeEventListener('close', this.#onStreamClose as (evt: never) => void)
    this.#stream.removeEventListener('end', this.#onStreamEnd as (evt: never) => void)
    const info = this.#closeInfo as CloseInfo
    const stream = this.#stream
    if (stream.status !== 'open' && stream.status !== 'closing') {
      this.#onClosed?.(info)
      return Promise.resolve()
    }
    // Our end is closed; the peer closes its end once it has read our Disconnect frame. Only then
    // is the stream done: hanging up the libp2p connection earlier can drop the frame still on its
    // way out, and the peer would see a bare reset. A peer that keeps its half open is aborted
    // after the close timeout.
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => stream.abort(new Error('stream not closed by peer in time')),
        this.#closeTimeoutMs,
      )
      let done = false
      stream.addEventListener('close', () => {
        if (done) return
        done = true
        clearTimeout(timer)
        this.#onClosed?.(info)
        resolve()
      })
    })
  }

  #closedError(cause?: unknown): WireError {
    const info = this.#closeInfo ?? { reason: DisconnectReason.NetworkError, remote: true }
    return new WireError('ErrClosed', `connection closed (reason 0x${info.reason.toString(16)})`, {
      reason: info.reason,
      remote: info.remote,
      ...(cause === undefined ? {} : { cause }),
    })
  }
}
