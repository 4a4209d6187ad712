/**
 * A small HTTP/1.1 server on `node:net` for the JSON-RPC endpoint: an incremental request parser
 * (`HttpParser`, no I/O, tested on its own), the answer framer and the connection loop
 * (`listenHttp`). It replaces `node:http`, whose per-request objects and streams cost more CPU
 * than the cheap JSON-RPC methods themselves.
 *
 * What it accepts (RFC 9112), and what it refuses:
 * - a request line `token SP target SP HTTP/1.x CRLF` (target: visible ASCII); `HTTP/2+` is 505,
 *   anything else 400. Empty lines before a request line are skipped (RFC 9112 §2.2).
 * - header lines `token ":" OWS value OWS CRLF` with every line ended by CRLF: a bare CR or LF,
 *   a control character in a value, a space before the colon, an empty or non-token name and
 *   obs-fold (a line starting with SP/HTAB) are 400.
 * - `Content-Length`: digits only, one field; a second one (even equal), or together with
 *   `Transfer-Encoding`, is 400 (§6.3). Past the body limit: 413.
 * - `Transfer-Encoding: chunked` (HTTP/1.1 only; in HTTP/1.0 it is 400): chunk extensions are
 *   ignored, trailers accepted and ignored, the body limit counts across chunks (413). Another
 *   coding before `chunked` is 501; `chunked` not last is 400.
 * - HTTP/1.1 without `Host`, or two `Host` fields, is 400; two `Origin` fields too.
 * - the request line and headers together (and a trailer section) at most `maxHeadBytes`: 431.
 * - `Expect: 100-continue` gets `100 Continue` when the body is still to come; another
 *   expectation is 417.
 * Every refusal is answered with `Connection: close`; the server then stops reading requests,
 * ends its side and discards input for a short linger so that the client reads the answer rather
 * than a reset.
 *
 * Connections: keep-alive by default in HTTP/1.1 (`Connection: close` ends it after the answer),
 * in HTTP/1.0 only with `Connection: keep-alive`. Pipelined requests are answered in order; while
 * one is answered asynchronously the connection is not read, and after `maxPipelined` answers
 * from one input, or when the socket's write buffer is full, reading stops until the next turn /
 * `drain`. Timeouts (checked by one timer per server): the head within `headersTimeoutMs` of its
 * first byte and the whole request within `requestTimeoutMs` (else 408 and close), an idle
 * keep-alive connection closed after `keepAliveTimeoutMs`, a write blocked for `requestTimeoutMs`
 * closed. At most `maxConnections` are open (more are closed by `node:net` at once).
 */
import { createServer, type Server, type Socket } from 'node:net'
import {
  rpcHeadersTimeoutMs,
  rpcKeepAliveTimeoutMs,
  rpcMaxBodyBytes,
  rpcMaxConnections,
  rpcMaxHeadBytes,
  rpcMaxPipelined,
  rpcRequestTimeoutMs,
} from '../constants.js'

const CR = 13
const LF = 10
const SP = 32
const HT = 9
const COLON = 58
const SEMI = 59

/** tchar of RFC 9110 §5.6.2: the bytes of a token (method, header name). */
const TCHAR = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1
const HEX = new Int8Array(256).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i
}
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1')
const EMPTY = Buffer.alloc(0)
/** Longest chunk-size line (size and extensions). */
const maxChunkLine = 4096

/** The parts of a request head the server uses. */
export interface HttpHead {
  method: string
  target: string
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and a later 1.x). */
  minor: number
  host: string | undefined
  origin: string | undefined
  /** After the version's default and the `Connection` header. */
  keepAlive: boolean
  expectContinue: boolean
  /** The body length by `Content-Length` (0 without one), -1 for a chunked body. */
  contentLength: number
}

export interface HttpRequest extends HttpHead {
  /** The body bytes (a view into the received data; the parser never writes over it). */
  body: Buffer
}

export type ParseEvent =
  | { kind: 'request'; request: HttpRequest }
  | { kind: 'continue'; head: HttpHead }
  | { kind: 'error'; status: number; reason: string; head?: HttpHead }

export interface ParserLimits {
  maxHeadBytes: number
  maxBodyBytes: number
}

type HeadResult = HttpHead | { status: number; reason: string; head?: HttpHead }

enum Phase {
  Head = 0,
  Body = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkEnd = 4,
  Trailers = 5,
  Dead = 6,
}

const lowerIs = (b: Buffer, s: number, e: number, name: string): boolean => {
  if (e - s !== name.length) return false
  for (let k = 0; k < name.length; k++) if ((b[s + k]! | 0x20) !== name.charCodeAt(k)) return false
  return true
}

/** The tokens of a comma-separated header value, lower-cased and trimmed. */
const tokens = (v: string): string[] =>
  v
    .toLowerCase()
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')

/**
 * Reads the header lines from `i` up to and including the empty line (the caller found the
 * CRLFCRLF at `stop`), checking each one; `onField` gets the name and value bounds. Returns the
 * offset after the empty line, or a reason for 400.
 */
function readFields(b: Buffer, i: number, sink: HeadFields | undefined): number | string {
  for (;;) {
    const first = b[i]
    if (first === CR) return b[i + 1] === LF ? i + 2 : 'bare CR'
    if (first === SP || first === HT) return 'obs-fold or whitespace before a header name'
    const ns = i
    while (TCHAR[b[i]!] === 1) i++
    if (i === ns) return 'invalid header name'
    if (b[i] !== COLON) return 'invalid header name'
    const ne = i++
    while (b[i] === SP || b[i] === HT) i++
    const vs = i
    let ve = i
    for (;;) {
      const c = b[i]
      if (c === undefined) return 'unterminated header line'
      if (c === CR) break
      if (c > SP && c !== 0x7f) ve = ++i
      else if (c === SP || c === HT) i++
      else return 'invalid character in a header value'
    }
    if (b[i + 1] !== LF) return 'bare CR'
    i += 2
    if (sink !== undefined) {
      const err = sink.field(ns, ne, vs, ve)
      if (err !== undefined) return err
    }
  }
}

/**
 * The header fields the server reads, collected while a head is parsed (one instance, reused:
 * parsing is synchronous, and a closure per request would cost an allocation).
 */
class HeadFields {
  buf: Buffer = EMPTY
  host: string | undefined = undefined
  origin: string | undefined = undefined
  /** -2: none seen. */
  contentLength = -2
  chunked = false
  te = false
  close = false
  keepAlive = false
  /** 1: 100-continue, 2: another expectation. */
  expect = 0

  reset(b: Buffer): void {
    this.buf = b
    this.host = undefined
    this.origin = undefined
    this.contentLength = -2
    this.chunked = false
    this.te = false
    this.close = false
    this.keepAlive = false
    this.expect = 0
  }

  /** One field line: the name in `[ns, ne)`, the value in `[vs, ve)`; a reason for 400 or '!501'. */
  field(ns: number, ne: number, vs: number, ve: number): string | undefined {
    const b = this.buf
    switch (ne - ns) {
      case 4:
        if (lowerIs(b, ns, ne, 'host')) {
          if (this.host !== undefined) return 'more than one Host'
          this.host = b.toString('latin1', vs, ve)
        }
        break
      case 6:
        if (lowerIs(b, ns, ne, 'origin')) {
          if (this.origin !== undefined) return 'more than one Origin'
          this.origin = b.toString('latin1', vs, ve)
        } else if (lowerIs(b, ns, ne, 'expect')) {
          this.expect = lowerIs(b, vs, ve, '100-continue') ? 1 : 2
        }
        break
      case 10:
        if (lowerIs(b, ns, ne, 'connection')) {
          if (lowerIs(b, vs, ve, 'keep-alive')) this.keepAlive = true
          else if (lowerIs(b, vs, ve, 'close')) this.close = true
          else
            for (const t of tokens(b.toString('latin1', vs, ve))) {
              if (t === 'close') this.close = true
              else if (t === 'keep-alive') this.keepAlive = true
            }
        }
        break
      case 14:
        if (lowerIs(b, ns, ne, 'content-length')) {
          if (this.contentLength !== -2) return 'more than one Content-Length'
          if (vs === ve) return 'invalid Content-Length'
          let n = 0
          for (let k = vs; k < ve; k++) {
            const d = b[k]! - 0x30
            if (d < 0 || d > 9) return 'invalid Content-Length'
            // past 2^53 the exact value does not matter: it is over any limit
            n = n < 1e15 ? n * 10 + d : n
          }
          this.contentLength = n
        }
        break
      case 17:
        if (lowerIs(b, ns, ne, 'transfer-encoding')) {
          if (this.te) return 'more than one Transfer-Encoding'
          this.te = true
          if (lowerIs(b, vs, ve, 'chunked')) this.chunked = true
          else {
            const list = tokens(b.toString('latin1', vs, ve))
            // a coding we do not implement before chunked is 501; chunked not last cannot be framed
            return list.at(-1) === 'chunked' ? '!501' : 'chunked is not the last transfer coding'
          }
        }
        break
    }
    return undefined
  }
}
const fields = new HeadFields()

/**
 * Parses the head in `b[start, end)`, which ends with the first CRLFCRLF; `maxBody` decides 413.
 */
function parseHead(b: Buffer, start: number, maxBody: number): HeadResult {
  let i = start
  while (TCHAR[b[i]!] === 1) i++
  if (i === start || b[i] !== SP) return { status: 400, reason: 'invalid request line' }
  // the one method that matters is not decoded
  const method =
    i - start === 4 && b[start] === 0x50 && b[start + 1] === 0x4f && b[start + 2] === 0x53
      ? b[start + 3] === 0x54
        ? 'POST'
        : b.toString('latin1', start, i)
      : b.toString('latin1', start, i)
  const ts = ++i
  while (b[i]! > SP && b[i]! < 0x7f) i++
  if (i === ts || b[i] !== SP) return { status: 400, reason: 'invalid request target' }
  const target = i - ts === 1 && b[ts] === 0x2f ? '/' : b.toString('latin1', ts, i)
  i++
  // HTTP-version = "HTTP/" DIGIT "." DIGIT
  if (
    b[i] !== 0x48 ||
    b[i + 1] !== 0x54 ||
    b[i + 2] !== 0x54 ||
    b[i + 3] !== 0x50 ||
    b[i + 4] !== 0x2f ||
    b[i + 6] !== 0x2e
  )
    return { status: 400, reason: 'invalid HTTP version' }
  const major = b[i + 5]! - 0x30
  const minorDigit = b[i + 7]! - 0x30
  if (major < 0 || major > 9 || minorDigit < 0 || minorDigit > 9)
    return { status: 400, reason: 'invalid HTTP version' }
  if (b[i + 8] !== CR || b[i + 9] !== LF) return { status: 400, reason: 'invalid request line' }
  if (major !== 1) return { status: 505, reason: 'HTTP version not supported' }
  const minor = minorDigit === 0 ? 0 : 1
  i += 10

  const f = fields
  f.reset(b)
  const after = readFields(b, i, f)
  const { host, origin, contentLength, chunked, te, close, keepAlive, expect } = f
  f.buf = EMPTY
  if (typeof after === 'string')
    return after === '!501'
      ? { status: 501, reason: 'transfer coding not implemented' }
      : { status: 400, reason: after }
  if (te && contentLength !== -2)
    return { status: 400, reason: 'Transfer-Encoding together with Content-Length' }
  if (te && minor === 0) return { status: 400, reason: 'Transfer-Encoding in HTTP/1.0' }
  if (minor === 1 && host === undefined) return { status: 400, reason: 'no Host' }
  const head: HttpHead = {
    method,
    target,
    minor,
    host,
    origin,
    keepAlive: minor === 1 ? !close : keepAlive && !close,
    expectContinue: expect === 1 && minor === 1,
    contentLength: chunked ? -1 : contentLength === -2 ? 0 : contentLength,
  }
  if (expect === 2 && minor === 1) return { status: 417, reason: 'expectation failed', head }
  if (head.contentLength > maxBody) return { status: 413, reason: 'request too large', head }
  return head
}

/**
 * An incremental HTTP/1.x request parser: `push` the bytes as they come, then call `next` until it
 * gives undefined (more bytes needed). After an error event the parser is dead (the connection is
 * to be closed). It copies received bytes only when a request spans several pushes.
 */
export class HttpParser {
  private buf: Buffer = EMPTY
  private start = 0
  private end = 0
  /** `buf` is ours (allocated here), so its bytes after `end` may be written. */
  private owned = false
  /** Bytes from `start` already checked for a bare CR/LF while waiting for a line's end. */
  private scanned = 0
  private phase = Phase.Head
  private head: HttpHead | undefined
  private remaining = 0
  private parts: Buffer[] = []
  private bodySize = 0
  private continued = false

  constructor(private readonly limits: ParserLimits) {}

  /** True while part of a request (head or body) has been received but not all of it. */
  get inRequest(): boolean {
    return this.phase !== Phase.Head || this.end > this.start
  }

  /** True once the head of the current request is in and its body is still coming. */
  get inBody(): boolean {
    return this.phase !== Phase.Head && this.phase !== Phase.Dead
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.end - this.start
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.phase === Phase.Dead) return
    if (this.start === this.end) {
      this.buf = chunk
      this.start = 0
      this.end = chunk.length
      this.owned = false
      return
    }
    const have = this.end - this.start
    if (this.owned && this.end + chunk.length <= this.buf.length) {
      chunk.copy(this.buf, this.end)
      this.end += chunk.length
      return
    }
    // a new buffer (never written over: request bodies handed out may be views of the old one)
    const next = Buffer.allocUnsafe(Math.max(2 * (have + chunk.length), 4096))
    this.buf.copy(next, 0, this.start, this.end)
    chunk.copy(next, have)
    this.buf = next
    this.start = 0
    this.end = have + chunk.length
    this.owned = true
  }

  private fail(status: number, reason: string, head?: HttpHead): ParseEvent {
    this.phase = Phase.Dead
    this.buf = EMPTY
    this.start = 0
    this.end = 0
    this.parts = []
    return head === undefined
      ? { kind: 'error', status, reason }
      : { kind: 'error', status, reason, head }
  }

  /** Index of the first `CRLFCRLF` at or after `from` inside the data, or -1. */
  private find(needle: Buffer | string, from: number): number {
    const at = this.buf.indexOf(needle, from)
    // bytes past `end` of an owned buffer are stale: a match reaching into them is no match
    return at === -1 || at + needle.length > this.end ? -1 : at
  }

  /**
   * Checks the bytes of an unfinished line section from `this.scanned` on: every CR must be
   * followed by LF and every LF preceded by CR. Returns false on a violation.
   */
  private scanPartial(): boolean {
    const b = this.buf
    const s = this.start
    for (let k = s + this.scanned; k < this.end; k++) {
      const c = b[k]
      if (c === LF) {
        if (k === s || b[k - 1] !== CR) return false
      } else if (k > s && b[k - 1] === CR) return false
    }
    this.scanned = this.end - s
    return true
  }

  next(): ParseEvent | undefined {
    const limits = this.limits
    for (;;) {
      switch (this.phase) {
        case Phase.Dead:
          return undefined
        case Phase.Head: {
          // empty lines before a request line are skipped
          while (
            this.end - this.start >= 2 &&
            this.buf[this.start] === CR &&
            this.buf[this.start + 1] === LF
          ) {
            this.start += 2
            this.scanned = Math.max(0, this.scanned - 2)
          }
          if (this.start === this.end) {
            this.release()
            return undefined
          }
          const at = this.find(CRLFCRLF, this.start + Math.max(0, this.scanned - 3))
          if (at === -1) {
            if (!this.scanPartial()) return this.fail(400, 'bare CR or LF')
            if (this.end - this.start > limits.maxHeadBytes)
              return this.fail(431, 'request header fields too large')
            return undefined
          }
          const headEnd = at + 4
          if (headEnd - this.start > limits.maxHeadBytes)
            return this.fail(431, 'request header fields too large')
          const r = parseHead(this.buf, this.start, limits.maxBodyBytes)
          if (!('method' in r)) return this.fail(r.status, r.reason, r.head)
          this.start = headEnd
          this.scanned = 0
          this.head = r
          this.continued = false
          if (r.contentLength === -1) {
            this.phase = Phase.ChunkSize
            this.parts = []
            this.bodySize = 0
          } else if (r.contentLength > 0) {
            this.phase = Phase.Body
            this.remaining = r.contentLength
          } else return this.complete(EMPTY)
          break
        }
        case Phase.Body: {
          if (this.end - this.start >= this.remaining) {
            const body = this.buf.subarray(this.start, this.start + this.remaining)
            this.start += this.remaining
            return this.complete(body)
          }
          return this.waitBody()
        }
        case Phase.ChunkSize: {
          const at = this.find('\r\n', this.start + Math.max(0, this.scanned - 1))
          if (at === -1) {
            if (!this.scanPartial()) return this.fail(400, 'bare CR or LF in a chunk size line')
            if (this.end - this.start > maxChunkLine)
              return this.fail(400, 'chunk size line too long')
            return this.waitBody()
          }
          const b = this.buf
          let i = this.start
          let size = 0
          while (HEX[b[i]!]! >= 0 && i < at) {
            size = size * 16 + HEX[b[i]!]!
            if (size > limits.maxBodyBytes) return this.fail(413, 'request too large', this.head)
            i++
          }
          if (i === this.start) return this.fail(400, 'invalid chunk size')
          // chunk-ext: BWS ";" ... up to the CRLF, ignored (only checked for control characters)
          while (b[i] === SP || b[i] === HT) i++
          if (i < at) {
            if (b[i] !== SEMI) return this.fail(400, 'invalid chunk size')
            for (; i < at; i++) {
              const c = b[i]!
              if ((c < SP && c !== HT) || c === 0x7f)
                return this.fail(400, 'invalid character in a chunk extension')
            }
          }
          this.start = at + 2
          this.scanned = 0
          if (size === 0) {
            this.phase = Phase.Trailers
            break
          }
          this.bodySize += size
          if (this.bodySize > limits.maxBodyBytes)
            return this.fail(413, 'request too large', this.head)
          this.remaining = size
          this.phase = Phase.ChunkData
          break
        }
        case Phase.ChunkData: {
          const n = Math.min(this.remaining, this.end - this.start)
          if (n > 0) {
            this.parts.push(this.buf.subarray(this.start, this.start + n))
            this.start += n
            this.remaining -= n
          }
          if (this.remaining > 0) return this.waitBody()
          this.phase = Phase.ChunkEnd
          break
        }
        case Phase.ChunkEnd: {
          const have = this.end - this.start
          if (have >= 1 && this.buf[this.start] !== CR)
            return this.fail(400, 'chunk data not followed by CRLF')
          if (have < 2) return this.waitBody()
          if (this.buf[this.start + 1] !== LF)
            return this.fail(400, 'chunk data not followed by CRLF')
          this.start += 2
          this.phase = Phase.ChunkSize
          break
        }
        case Phase.Trailers: {
          const have = this.end - this.start
          if (have >= 2 && this.buf[this.start] === CR && this.buf[this.start + 1] === LF) {
            this.start += 2
            return this.completeChunked()
          }
          // trailer fields: the empty line that ends them makes a CRLFCRLF with the last one
          const at = this.find(CRLFCRLF, this.start + Math.max(0, this.scanned - 3))
          if (at === -1) {
            if (have >= 1 && this.buf[this.start] === LF) return this.fail(400, 'bare LF')
            if (!this.scanPartial()) return this.fail(400, 'bare CR or LF in trailers')
            if (have > limits.maxHeadBytes) return this.fail(431, 'trailer section too large')
            return this.waitBody()
          }
          if (at + 4 - this.start > limits.maxHeadBytes)
            return this.fail(431, 'trailer section too large')
          const after = readFields(this.buf, this.start, undefined)
          if (typeof after === 'string') return this.fail(400, after)
          this.start = after
          return this.completeChunked()
        }
      }
    }
  }

  /** More body bytes needed: one `continue` event first when the client asked for it. */
  private waitBody(): ParseEvent | undefined {
    const head = this.head!
    if (head.expectContinue && !this.continued) {
      this.continued = true
      return { kind: 'continue', head }
    }
    return undefined
  }

  private completeChunked(): ParseEvent {
    const parts = this.parts
    this.parts = []
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    return this.complete(body)
  }

  private complete(body: Buffer): ParseEvent {
    const request = this.head as HttpRequest
    request.body = body
    this.head = undefined
    this.phase = Phase.Head
    this.scanned = 0
    if (this.start === this.end) this.release()
    return { kind: 'request', request }
  }

  /** Drops the reference to a fully consumed buffer. */
  private release(): void {
    this.buf = EMPTY
    this.start = 0
    this.end = 0
    this.owned = false
  }
}

/** An answer from the request handler. */
export interface HttpAnswer {
  status: number
  /** The body text (sent as UTF-8). */
  body: string
  /** Default `application/json`. */
  contentType?: string
  /** More header lines, each ending in CRLF. */
  headers?: string
}

export type HttpHandler = (request: HttpRequest) => HttpAnswer | Promise<HttpAnswer>

export interface HttpWireOptions extends Partial<ParserLimits> {
  host: string
  port: number
  headersTimeoutMs?: number
  requestTimeoutMs?: number
  keepAliveTimeoutMs?: number
  maxConnections?: number
  maxPipelined?: number
  /** How often deadlines are checked; default a quarter of the shortest timeout, at most 1 s. */
  checkIntervalMs?: number
  /** How long input is read and discarded after a refusal before the socket is destroyed. */
  lingerMs?: number
  /** The answer to a refused request (400, 408, 413, 417, 431, 501, 505). */
  refusal?: (status: number, reason: string, head: HttpHead | undefined) => HttpAnswer
  /** The answer when the handler throws or its promise rejects. */
  internalError?: (request: HttpRequest) => HttpAnswer
}

export interface HttpWireServer {
  readonly port: number
  /** Open connections (for tests and stats). */
  readonly connections: number
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

const reasons: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
}
const statusLines = new Map<number, string>()
const statusLine = (status: number): string => {
  let line = statusLines.get(status)
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${reasons[status] ?? 'Unknown'}\r\n`
    statusLines.set(status, line)
  }
  return line
}

let dateSecond = -1
let dateLine = ''
/** The `Date` header line, rebuilt once a second. */
const dateHeader = (now: number): string => {
  const s = Math.floor(now / 1000)
  if (s !== dateSecond) {
    dateSecond = s
    dateLine = `date: ${new Date(s * 1000).toUTCString()}\r\n`
  }
  return dateLine
}

const defaultRefusal = (status: number, reason: string): HttpAnswer => ({
  status,
  body: `${reason}\n`,
  contentType: 'text/plain',
})
const defaultInternal = (): HttpAnswer => ({
  status: 500,
  body: 'internal error\n',
  contentType: 'text/plain',
})

enum Wait {
  None = 0,
  Idle = 1,
  Head = 2,
  Body = 3,
  Write = 4,
  Linger = 5,
}

/**
 * Starts an HTTP/1.1 server on `node:net` answering each request with `handler` (synchronously
 * when it can: no promise, and the answer is written in the same tick).
 */
export async function listenHttp(
  handler: HttpHandler,
  opts: HttpWireOptions,
): Promise<HttpWireServer> {
  const limits: ParserLimits = {
    maxHeadBytes: opts.maxHeadBytes ?? rpcMaxHeadBytes,
    maxBodyBytes: opts.maxBodyBytes ?? rpcMaxBodyBytes,
  }
  const headersTimeout = opts.headersTimeoutMs ?? rpcHeadersTimeoutMs
  const requestTimeout = opts.requestTimeoutMs ?? rpcRequestTimeoutMs
  const idleTimeout = opts.keepAliveTimeoutMs ?? rpcKeepAliveTimeoutMs
  const maxPipelined = opts.maxPipelined ?? rpcMaxPipelined
  const lingerMs = opts.lingerMs ?? 2_000
  const refusal = opts.refusal ?? defaultRefusal
  const internalError = opts.internalError ?? defaultInternal
  const interval =
    opts.checkIntervalMs ??
    Math.max(10, Math.min(1_000, Math.floor(Math.min(headersTimeout, idleTimeout) / 4)))
  // the advertised idle time is whole seconds and never more than the real one
  // (HTTP/1.1 is persistent without `Connection: keep-alive`; HTTP/1.0 needs it)
  const keepAliveLine = `keep-alive: timeout=${Math.max(1, Math.floor(idleTimeout / 1000))}\r\n`
  const keepAlive10Lines = `connection: keep-alive\r\n${keepAliveLine}`
  const continueLine = 'HTTP/1.1 100 Continue\r\n\r\n'

  const conns = new Set<Connection>()

  class Connection {
    readonly parser = new HttpParser(limits)
    /** A request is being answered asynchronously. */
    busy = false
    /** No more requests are read: an answer with `Connection: close` went out. */
    closing = false
    readEnded = false
    /** Reading is stopped for a full write buffer or a turn given to other connections. */
    held = false
    wait = Wait.Idle
    deadline: number
    requestStart = 0

    constructor(readonly sock: Socket) {
      this.deadline = Date.now() + idleTimeout
      sock.on('data', (d: Buffer) => this.onData(d))
      sock.on('end', () => this.onEnd())
      sock.on('drain', () => this.onDrain())
      sock.on('error', () => sock.destroy())
      sock.on('close', () => conns.delete(this))
    }

    onData(chunk: Buffer): void {
      if (this.closing) return // lingering: input is discarded
      this.parser.push(chunk)
      if (!this.busy && !this.held) this.run()
    }

    onEnd(): void {
      this.readEnded = true
      if (this.closing) {
        this.sock.destroy()
        return
      }
      // the client sent all it will: answer what is whole (run does), then end our side
      if (!this.busy && !this.held) this.finishIfEnded()
    }

    onDrain(): void {
      if (this.wait === Wait.Write) this.wait = Wait.None
      if (this.held && !this.closing) {
        this.held = false
        this.sock.resume()
        if (!this.busy) this.run()
      }
    }

    finishIfEnded(): void {
      if (!this.readEnded || this.busy || this.closing) return
      this.closing = true
      this.sock.end()
      this.wait = Wait.Linger
      this.deadline = Date.now() + lingerMs
    }

    /** Answers every whole request in the input, in order, until one is asynchronous. */
    run(): void {
      const sock = this.sock
      const parser = this.parser
      sock.cork()
      let answered = 0
      try {
        for (;;) {
          const ev = parser.next()
          if (ev === undefined) break
          if (ev.kind === 'continue') {
            sock.write(continueLine)
            continue
          }
          if (ev.kind === 'error') {
            this.refuse(ev.status, ev.reason, ev.head)
            return
          }
          const req = ev.request
          this.wait = Wait.None // the next deadline is set afresh
          let answer: HttpAnswer | Promise<HttpAnswer>
          try {
            answer = handler(req)
          } catch {
            answer = internalError(req)
          }
          if (answer instanceof Promise) {
            this.busy = true
            this.wait = Wait.None
            sock.pause()
            answer.then(
              (a) => this.afterAsync(req, a),
              () => this.afterAsync(req, internalError(req)),
            )
            return
          }
          if (!this.answerAndGoOn(answer, req)) return
          if (++answered >= maxPipelined && parser.buffered > 0) {
            // a turn for the other connections; the rest of this input after them
            this.hold(Wait.None)
            setImmediate(() => {
              if (this.held && !this.closing && !sock.destroyed && !sock.writableNeedDrain) {
                this.held = false
                sock.resume()
                this.run()
              }
            })
            return
          }
        }
        this.track()
        this.finishIfEnded()
      } finally {
        sock.uncork()
      }
    }

    afterAsync(req: HttpRequest, answer: HttpAnswer): void {
      this.busy = false
      const sock = this.sock
      if (sock.destroyed) return
      sock.cork()
      const goOn = this.answerAndGoOn(answer, req)
      sock.uncork()
      if (!goOn) return
      sock.resume()
      this.run()
    }

    /** Writes `answer`; false when the connection now ends or waits for its write buffer to drain. */
    answerAndGoOn(answer: HttpAnswer, req: HttpRequest): boolean {
      this.write(answer, req)
      if (!req.keepAlive) {
        this.endAfterAnswer()
        return false
      }
      if (this.sock.writableNeedDrain) {
        this.hold(Wait.Write)
        return false
      }
      return true
    }

    hold(wait: Wait): void {
      this.held = true
      this.sock.pause()
      this.wait = wait
      if (wait === Wait.Write) this.deadline = Date.now() + requestTimeout
    }

    /** Sets the deadline for what the connection now waits for. */
    track(): void {
      const p = this.parser
      const next = p.inBody ? Wait.Body : p.inRequest ? Wait.Head : Wait.Idle
      if (next === this.wait) return
      const now = Date.now()
      if (next === Wait.Idle) this.deadline = now + idleTimeout
      else if (next === Wait.Head) {
        this.requestStart = now
        this.deadline = now + headersTimeout
      } else {
        if (this.wait !== Wait.Head) this.requestStart = now
        this.deadline = this.requestStart + requestTimeout
      }
      this.wait = next
    }

    write(a: HttpAnswer, req: HttpHead | undefined, close = false): void {
      const keep = !close && req !== undefined && req.keepAlive
      const conn = keep
        ? req.minor === 0
          ? keepAlive10Lines
          : keepAliveLine
        : 'connection: close\r\n'
      const extra = a.headers ?? ''
      const date = dateHeader(Date.now())
      if (a.status === 204) {
        this.sock.write(`${statusLine(204)}${extra}${conn}${date}\r\n`)
        return
      }
      const body = a.body
      const len = body.length === 0 ? 0 : Buffer.byteLength(body)
      const head = `${statusLine(a.status)}content-type: ${a.contentType ?? 'application/json'}\r\ncontent-length: ${len}\r\n${extra}${conn}${date}\r\n`
      this.sock.write(req?.method === 'HEAD' ? head : head + body)
    }

    refuse(status: number, reason: string, head: HttpHead | undefined): void {
      this.write(refusal(status, reason, head), head, true)
      this.endAfterAnswer()
    }

    /** After an answer with `Connection: close`: end our side, then read and discard a while. */
    endAfterAnswer(): void {
      this.closing = true
      this.busy = false
      this.held = false
      const sock = this.sock
      sock.end()
      this.wait = Wait.Linger
      this.deadline = Date.now() + lingerMs
      if (!this.readEnded) sock.resume()
    }

    timeout(): void {
      switch (this.wait) {
        case Wait.Head:
        case Wait.Body:
          this.sock.cork()
          this.refuse(408, 'request timeout', undefined)
          this.sock.uncork()
          break
        case Wait.Idle:
        case Wait.Write:
        case Wait.Linger:
          this.sock.destroy()
          break
      }
    }
  }

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (sock) => {
    conns.add(new Connection(sock))
  })
  server.maxConnections = opts.maxConnections ?? rpcMaxConnections
  const timer = setInterval(() => {
    const now = Date.now()
    for (const c of conns) if (c.wait !== Wait.None && now >= c.deadline && !c.busy) c.timeout()
  }, interval)
  timer.unref()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    clearInterval(timer)
    throw err
  }
  // an accept error (EMFILE, …) after listening must not end the process: the connection is lost
  server.on('error', () => {})
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : opts.port
  return {
    port,
    get connections() {
      return conns.size
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer)
        server.close(() => resolve())
        for (const c of conns) c.sock.destroy()
      }),
  }
}
