import { connect, type Socket } from 'node:net'
import { seededRandom } from '@ethwire/interface/testing'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type HttpAnswer,
  HttpParser,
  type HttpRequest,
  type HttpWireOptions,
  type HttpWireServer,
  listenHttp,
  type ParseEvent,
} from '../src/rpc/http-wire.js'
import { within } from './helpers/wait.js'

const limits = { maxHeadBytes: 1024, maxBodyBytes: 256 }

/** Feeds the chunks in order and collects every event. */
function parse(chunks: (string | Buffer)[], l = limits): ParseEvent[] {
  const p = new HttpParser(l)
  const out: ParseEvent[] = []
  for (const c of chunks) {
    p.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c)
    for (let e = p.next(); e !== undefined; e = p.next()) out.push(e)
  }
  return out
}

const bytewise = (s: string) => [...Buffer.from(s, 'latin1')].map((b) => Buffer.of(b))

/** The requests of the events, or the first error's status. */
function requests(events: ParseEvent[]): HttpRequest[] {
  const err = events.find((e) => e.kind === 'error')
  if (err) throw new Error(`unexpected ${err.status} ${err.reason}`)
  return events.flatMap((e) => (e.kind === 'request' ? [e.request] : []))
}

function errorOf(events: ParseEvent[]): { status: number; reason: string } | undefined {
  const e = events.find((x) => x.kind === 'error')
  return e?.kind === 'error' ? { status: e.status, reason: e.reason } : undefined
}

/** A POST with a Content-Length; the body's characters are bytes (latin1), as `parse` reads them. */
const post = (body: string, headers = '') =>
  `POST /rpc HTTP/1.1\r\nHost: localhost:8545\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`

const chunkedReq =
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;name=value;flag\r\nhello\r\n' +
  '1 ; x="quoted ; text"\r\n \r\n' +
  '6\r\nworld!\r\n' +
  '0;last\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n'

describe('HttpParser', () => {
  it('parses a request: method, target, version, Host, Origin, keep-alive, body', () => {
    const [r] = requests(parse([post('{"a":1}', 'Origin: https://x.example\r\n')]))
    expect(r).toMatchObject({
      method: 'POST',
      target: '/rpc',
      minor: 1,
      host: 'localhost:8545',
      origin: 'https://x.example',
      keepAlive: true,
      expectContinue: false,
      contentLength: 7,
    })
    expect(r?.body.toString()).toBe('{"a":1}')
    const [g] = requests(parse(['GET / HTTP/1.1\r\nhost: h\r\n\r\n']))
    expect(g).toMatchObject({ method: 'GET', target: '/', contentLength: 0 })
    expect(g?.body.length).toBe(0)
    // header names are case-insensitive, values keep their case and lose surrounding OWS
    const [c] = requests(
      parse(['PUT /x?y=1 HTTP/1.1\r\nHOST:\t Node.Example \t\r\nCONTENT-length: 2\r\n\r\nok']),
    )
    expect(c).toMatchObject({ method: 'PUT', target: '/x?y=1', host: 'Node.Example' })
    expect(c?.body.toString()).toBe('ok')
  })

  it('gives the same request whatever the split, down to one byte at a time', () => {
    const text = post(
      '{"jsonrpc":"2.0","id":1,"method":"é"}',
      'Origin: o\r\nConnection: keep-alive\r\n',
    )
    const whole = requests(parse([text]))
    expect(whole).toHaveLength(1)
    const one = requests(parse(bytewise(text)))
    expect(one).toEqual(whole)
    const bytes = Buffer.from(text, 'latin1')
    for (let cut = 1; cut < bytes.length; cut++)
      expect(requests(parse([bytes.subarray(0, cut), bytes.subarray(cut)]))).toEqual(whole)
    // chunked, with extensions and trailers
    const ch = requests(parse(bytewise(chunkedReq)))
    expect(ch).toHaveLength(1)
    expect(ch[0]?.body.toString()).toBe('hello world!')
    const cb = Buffer.from(chunkedReq, 'latin1')
    for (let cut = 1; cut < cb.length; cut++) {
      const r = requests(parse([cb.subarray(0, cut), cb.subarray(cut)]))
      expect(r.map((x) => x.body.toString())).toEqual(['hello world!'])
    }
  })

  it('answers pipelined requests in order, across any split', () => {
    const text =
      post('{"id":1}') +
      'GET /two HTTP/1.1\r\nHost: a\r\n\r\n' +
      chunkedReq +
      post('{"id":4}', 'Connection: close\r\n')
    const want = [
      ['POST', '{"id":1}', true],
      ['GET', '', true],
      ['POST', 'hello world!', true],
      ['POST', '{"id":4}', false],
    ]
    const shape = (rs: HttpRequest[]) => rs.map((r) => [r.method, r.body.toString(), r.keepAlive])
    expect(shape(requests(parse([text])))).toEqual(want)
    expect(shape(requests(parse(bytewise(text))))).toEqual(want)
    const b = Buffer.from(text, 'latin1')
    for (let cut = 1; cut < b.length; cut += 7)
      expect(shape(requests(parse([b.subarray(0, cut), b.subarray(cut)])))).toEqual(want)
  })

  it('skips empty lines before a request line', () => {
    expect(requests(parse(['\r\n\r\n', post('x')]))).toHaveLength(1)
    expect(requests(parse([`${post('x')}\r\n${post('y')}`]))).toHaveLength(2)
  })

  it('HTTP/1.0 closes unless keep-alive is asked; Connection: close ends HTTP/1.1', () => {
    const ka = (head: string) => requests(parse([`${head}\r\n\r\n`]))[0]?.keepAlive
    expect(ka('GET / HTTP/1.0')).toBe(false)
    expect(ka('GET / HTTP/1.0\r\nConnection: Keep-Alive')).toBe(true)
    expect(ka('GET / HTTP/1.0\r\nConnection: keep-alive, close')).toBe(false)
    expect(ka('GET / HTTP/1.1\r\nHost: a')).toBe(true)
    expect(ka('GET / HTTP/1.1\r\nHost: a\r\nConnection: close')).toBe(false)
    expect(ka('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close')).toBe(false)
    expect(ka('GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nConnection: close')).toBe(false)
    // HTTP/1.0 needs no Host; a later 1.x is read as 1.1
    expect(requests(parse(['GET / HTTP/1.0\r\n\r\n']))[0]?.minor).toBe(0)
    expect(requests(parse(['GET / HTTP/1.9\r\nHost: a\r\n\r\n']))[0]?.minor).toBe(1)
  })

  it('Expect: 100-continue gives one continue event while the body is still to come', () => {
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n'
    const ev = parse([head, 'a', 'bc'])
    expect(ev.map((e) => e.kind)).toEqual(['continue', 'request'])
    // the body already there: no continue
    expect(parse([`${head}abc`]).map((e) => e.kind)).toEqual(['request'])
    // not in HTTP/1.0
    expect(
      parse(['POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n', 'x']).map(
        (e) => e.kind,
      ),
    ).toEqual(['request'])
    expect(errorOf(parse(['POST / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n']))?.status).toBe(417)
  })

  const refusals: [string, string, number][] = [
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n', 400],
    ['whitespace before the first header', 'GET / HTTP/1.1\r\n Host: a\r\n\r\n', 400],
    ['bare LF in a header line', 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n', 400],
    ['bare LF ending the head', 'GET / HTTP/1.1\nHost: a\n\n', 400],
    ['bare CR in a header line', 'GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n', 400],
    ['bare CR in the request line', 'GET /\r HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['a lone LF first', '\nGET / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
    ['invalid header name', 'GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n', 400],
    ['empty header name', 'GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n', 400],
    ['no colon', 'GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n', 400],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n', 400],
    ['control character in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n', 400],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n', 400],
    [
      'Content-Length with a letter',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\n',
      400,
    ],
    ['Content-Length with a sign', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n', 400],
    ['negative Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400],
    ['empty Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n', 400],
    ['Content-Length list', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx', 400],
    ['Content-Length 1 2', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\nx', 400],
    [
      'two equal Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx',
      400,
    ],
    [
      'conflicting Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx',
      400,
    ],
    [
      'Transfer-Encoding then Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'Content-Length then Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'Transfer-Encoding in HTTP/1.0',
      'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'two Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
      400,
    ],
    [
      'chunked not last',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
      400,
    ],
    ['unknown coding only', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
    [
      'another coding before chunked',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      501,
    ],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['two Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['two Origin', 'GET / HTTP/1.1\r\nHost: a\r\nOrigin: x\r\nOrigin: y\r\n\r\n', 400],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['tab in the target', 'GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['non-ASCII target', 'GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['no target', 'GET HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['trailing space after the version', 'GET / HTTP/1.1 \r\nHost: a\r\n\r\n', 400],
    ['lower-case version', 'GET / http/1.1\r\nHost: a\r\n\r\n', 400],
    ['version without a dot', 'GET / HTTP/11\r\nHost: a\r\n\r\n', 400],
    ['method not a token', 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
    ['HTTP/0.9 line', 'GET /\r\n\r\n', 400],
    [
      'body over the limit by Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 257\r\n\r\n',
      413,
    ],
    [
      'an enormous Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n',
      413,
    ],
    [
      'chunked body over the limit across chunks',
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n${'x'.repeat(128)}\r\n80\r\n${'y'.repeat(128)}\r\n1\r\nz\r\n0\r\n\r\n`,
      413,
    ],
    [
      'a chunk size over the limit',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n',
      413,
    ],
    [
      'a chunk size not hex',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
    ],
    [
      'an empty chunk size',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n',
      400,
    ],
    [
      'a chunk size with junk',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n',
      400,
    ],
    [
      'a chunk size line with bare LF',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n',
      400,
    ],
    [
      'a chunk extension with a control character',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\nhello\r\n0\r\n\r\n',
      400,
    ],
    [
      'chunk data longer than its size',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n',
      400,
    ],
    [
      'chunk data ended by LF only',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n',
      400,
    ],
    [
      'a bad trailer',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n',
      400,
    ],
    [
      'a trailer with bare LF',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n',
      400,
    ],
    [
      'a folded trailer',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n z\r\n\r\n',
      400,
    ],
    ['a head over the limit', `GET / HTTP/1.1\r\nHost: a\r\nX: ${'v'.repeat(1024)}\r\n\r\n`, 431],
    [
      'an unfinished head over the limit',
      `GET / HTTP/1.1\r\nHost: a\r\nX: ${'v'.repeat(1100)}`,
      431,
    ],
    [
      'a trailer section over the limit',
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ${'v'.repeat(1100)}`,
      431,
    ],
  ]

  for (const [name, raw, status] of refusals)
    it(`refuses ${name} with ${status}, whole or a byte at a time`, () => {
      const whole = parse([raw])
      expect(errorOf(whole)?.status).toBe(status)
      // no request is produced before the refusal and nothing after it
      expect(whole.filter((e) => e.kind === 'request')).toEqual([])
      expect(whole.at(-1)?.kind).toBe('error')
      const split = parse(bytewise(raw))
      expect(errorOf(split)?.status).toBe(status)
      expect(split.filter((e) => e.kind === 'request')).toEqual([])
    })

  it('is dead after a refusal: later bytes give nothing', () => {
    const p = new HttpParser(limits)
    p.push(Buffer.from('GET / HTTP/1.1\r\nHost : a\r\n\r\n'))
    expect(p.next()?.kind).toBe('error')
    p.push(Buffer.from(post('x')))
    expect(p.next()).toBeUndefined()
  })

  it('a 413 or 417 carries the head (the server answers it with CORS headers)', () => {
    const e = parse(['POST / HTTP/1.1\r\nHost: a\r\nOrigin: o\r\nContent-Length: 300\r\n\r\n'])[0]
    expect(e?.kind === 'error' && e.head?.origin).toBe('o')
  })

  it('accepts a body exactly at the limit, chunked or not, and an empty chunked body', () => {
    const body = 'b'.repeat(256)
    expect(requests(parse([post(body)]))[0]?.body.toString()).toBe(body)
    const ch = `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n80\r\n${body.slice(0, 128)}\r\n80\r\n${body.slice(128)}\r\n0\r\n\r\n`
    expect(requests(parse([ch]))[0]?.body.toString()).toBe(body)
    const empty = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
    expect(requests(parse([empty]))[0]?.body.length).toBe(0)
    // leading zeros in a size
    const z =
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0002\r\nok\r\n000\r\n\r\n'
    expect(requests(parse([z]))[0]?.body.toString()).toBe('ok')
  })

  it('keeps a handed-out body intact when more input arrives', () => {
    const p = new HttpParser(limits)
    const text = post('first') + post('second').slice(0, 20)
    p.push(Buffer.from(text.slice(0, 30)))
    expect(p.next()).toBeUndefined()
    p.push(Buffer.from(text.slice(30)))
    const e = p.next()
    expect(e?.kind).toBe('request')
    const body = e?.kind === 'request' ? e.request.body : Buffer.alloc(0)
    expect(p.next()).toBeUndefined()
    p.push(Buffer.from(post('second').slice(20)))
    expect(p.next()?.kind).toBe('request')
    expect(body.toString()).toBe('first')
  })
})

const samples = [
  post('{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}', 'Origin: o\r\n'),
  chunkedReq,
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
]

/** Random bytes, or a sample request with a few bytes changed, inserted or dropped. */
function fuzzInput(r: () => number): Buffer {
  if (r() < 0.3)
    return Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)))
  const b = [...Buffer.from(samples[Math.floor(r() * samples.length)]!, 'latin1')]
  const edits = 1 + Math.floor(r() * 4)
  const special = [0, 9, 10, 13, 32, 44, 58, 59, 0x7f, 0xff, 0x30, 0x61]
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(r() * b.length)
    const byte = r() < 0.5 ? special[Math.floor(r() * special.length)]! : Math.floor(r() * 256)
    const op = r()
    if (op < 0.4) b[at] = byte
    else if (op < 0.7) b.splice(at, 0, byte)
    else b.splice(at, 1)
  }
  return Buffer.from(b)
}

describe('HttpParser fuzz (seeded)', () => {
  it('random and mutated input: requests or 4xx/501/505 refusals, never a throw', () => {
    const r = seededRandom(0xe7e1)
    const statuses = new Map<number, number>()
    let reqs = 0
    for (let n = 0; n < 3000; n++) {
      const input = fuzzInput(r)
      // split at random points
      const chunks: Buffer[] = []
      for (let at = 0; at < input.length; ) {
        const len = 1 + Math.floor(r() * 40)
        chunks.push(input.subarray(at, at + len))
        at += len
      }
      const ev = parse(chunks)
      // the same events whole as split (but a 100-continue, given only when the body is to come)
      const whole = parse([input])
      const shape = (es: ParseEvent[]) =>
        es.filter((e) => e.kind !== 'continue').map((e) => (e.kind === 'error' ? e.status : e.kind))
      expect(shape(ev)).toEqual(shape(whole))
      for (const e of ev) {
        if (e.kind === 'error') {
          expect([400, 413, 417, 431, 501, 505]).toContain(e.status)
          statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1)
        } else if (e.kind === 'request') reqs++
      }
      if (input.every((b) => b !== 13 && b !== 10) && input.length > 0) {
        // no line end at all: never a request
        expect(ev.some((e) => e.kind === 'request')).toBe(false)
      }
    }
    // the inputs reach both sides
    expect(reqs).toBeGreaterThan(100)
    expect(statuses.get(400)).toBeGreaterThan(100)
  })
})

// ---- the server on sockets -------------------------------------------------------------------

let server: HttpWireServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

/** A raw client: writes what it is given and parses the answers by Content-Length. */
class Client {
  readonly sock: Socket
  private buf = Buffer.alloc(0)
  readonly answers: Answer[] = []
  private waiters: (() => void)[] = []
  closed: Promise<void>
  isClosed = false

  constructor(port: number) {
    this.sock = connect({ host: '127.0.0.1', port })
    this.sock.setNoDelay(true)
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d])
      this.parse()
    })
    this.sock.on('error', () => {})
    this.closed = new Promise((resolve) =>
      this.sock.once('close', () => {
        this.isClosed = true
        resolve()
        this.wake()
      }),
    )
  }

  private parse(): void {
    for (;;) {
      const he = this.buf.indexOf('\r\n\r\n')
      if (he === -1) return
      const lines = this.buf.toString('latin1', 0, he).split('\r\n')
      const status = Number(lines[0]?.split(' ')[1])
      const headers: Record<string, string> = {}
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':')
        headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim()
      }
      const len = status === 100 || status === 204 ? 0 : Number(headers['content-length'] ?? 0)
      if (this.buf.length < he + 4 + len) return
      this.answers.push({ status, headers, body: this.buf.toString('utf8', he + 4, he + 4 + len) })
      this.buf = this.buf.subarray(he + 4 + len)
      this.wake()
    }
  }

  private wake(): void {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  send(data: string | Buffer): void {
    this.sock.write(data)
  }

  /** Resolves once `n` answers are in (or the socket closed). */
  async wait(n: number): Promise<Answer[]> {
    await within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.answers.length >= n || this.isClosed) resolve()
          else this.waiters.push(check)
        }
        check()
      }),
      5000,
      `${n} answers`,
    )
    return this.answers
  }

  /** Resolves once the server closed the connection (bounded). */
  async waitClosed(ms = 5000): Promise<void> {
    await within(this.closed, ms, 'close')
  }
}

const echo = (req: HttpRequest): HttpAnswer => ({
  status: 200,
  body: JSON.stringify({ m: req.method, t: req.target, b: req.body.toString() }),
})

async function serve(
  handler = echo as (r: HttpRequest) => HttpAnswer | Promise<HttpAnswer>,
  o: Partial<HttpWireOptions> = {},
) {
  server = await listenHttp(handler, { host: '127.0.0.1', port: 0, maxBodyBytes: 1024, ...o })
  return server
}

describe('listenHttp', () => {
  it('keep-alive: several requests on one connection, each with Content-Length and Date', async () => {
    const s = await serve()
    const c = new Client(s.port)
    c.send(post('one'))
    await c.wait(1)
    c.send(post('two'))
    const a = await c.wait(2)
    expect(a.map((x) => JSON.parse(x.body).b)).toEqual(['one', 'two'])
    expect(a[0]?.headers['content-type']).toBe('application/json')
    expect(a[0]?.headers['content-length']).toBe(String(Buffer.byteLength(a[0]!.body)))
    // HTTP/1.1 is persistent without a Connection header; the idle time is advertised
    expect(a[0]?.headers.connection).toBeUndefined()
    expect(a[0]?.headers['keep-alive']).toBe('timeout=5')
    expect(a[0]?.headers.date).toMatch(/GMT$/)
    expect(c.isClosed).toBe(false)
    c.sock.destroy()
  })

  it('answers pipelined requests in order while one is answered asynchronously', async () => {
    let inFlight = 0
    let most = 0
    const s = await serve(async (req) => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise((r) => setTimeout(r, req.body.toString() === 'slow' ? 30 : 1))
      inFlight--
      return echo(req)
    })
    const c = new Client(s.port)
    const bodies = ['slow', 'a', 'b', 'slow', 'c', 'd', 'e', 'f']
    c.send(bodies.map((b) => post(b)).join(''))
    const a = await c.wait(bodies.length)
    expect(a.map((x) => JSON.parse(x.body).b)).toEqual(bodies)
    // one at a time: the connection is not read while a request is being answered
    expect(most).toBe(1)
    c.sock.destroy()
  })

  it('answers many pipelined synchronous requests sent a byte at a time, in order', async () => {
    const s = await serve(echo, { maxPipelined: 3 })
    const c = new Client(s.port)
    const bodies = Array.from({ length: 20 }, (_, i) => `b${i}`)
    c.send(bodies.map((b) => post(b)).join(''))
    expect((await c.wait(20)).map((x) => JSON.parse(x.body).b)).toEqual(bodies)
    const d = new Client(s.port)
    for (const byte of bytewise(post('x') + chunkedReq)) {
      d.send(byte)
      await new Promise((r) => setImmediate(r))
    }
    expect((await d.wait(2)).map((x) => JSON.parse(x.body).b)).toEqual(['x', 'hello world!'])
    c.sock.destroy()
    d.sock.destroy()
  })

  it('HTTP/1.0 closes after the answer unless keep-alive is asked', async () => {
    const s = await serve()
    const c = new Client(s.port)
    c.send('POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi')
    const [a] = await c.wait(1)
    expect(a?.headers.connection).toBe('close')
    await c.waitClosed()
    const k = new Client(s.port)
    k.send('POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi')
    await k.wait(1)
    expect(k.answers[0]?.headers.connection).toBe('keep-alive')
    k.send('GET / HTTP/1.0\r\n\r\n')
    await k.wait(2)
    await k.waitClosed()
  })

  it('Connection: close: the answer, then the server closes and reads no more requests', async () => {
    let seen = 0
    const s = await serve((r) => {
      seen++
      return echo(r)
    })
    const c = new Client(s.port)
    c.send(post('x', 'Connection: close\r\n') + post('never'))
    await c.waitClosed()
    expect(c.answers.map((a) => a.headers.connection)).toEqual(['close'])
    expect(seen).toBe(1)
  })

  it('Expect: 100-continue: 100 before the body, then the answer', async () => {
    const s = await serve()
    const c = new Client(s.port)
    c.send('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n')
    const [first] = await c.wait(1)
    expect(first?.status).toBe(100)
    c.send('body')
    const a = await c.wait(2)
    expect(a[1]?.status).toBe(200)
    expect(JSON.parse(a[1]!.body).b).toBe('body')
    // over the limit: 413 at once and close, no 100
    const big = new Client(s.port)
    big.send('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n')
    await big.waitClosed()
    expect(big.answers.map((x) => x.status)).toEqual([413])
    c.sock.destroy()
  })

  it('a refusal is answered with Connection: close, then the connection is closed', async () => {
    const s = await serve()
    for (const [raw, status] of [
      ['GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n', 400],
      [
        'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
        400,
      ],
      [`GET / HTTP/1.1\r\nHost: a\r\nX: ${'v'.repeat(20_000)}\r\n\r\n`, 431],
      ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n', 413],
    ] as const) {
      const c = new Client(s.port)
      // a valid request first: it is answered before the refusal
      c.send(post('ok') + raw)
      await c.waitClosed()
      expect(c.answers.map((a) => a.status)).toEqual([200, status])
      expect(c.answers[1]?.headers.connection).toBe('close')
    }
  })

  it('reads and discards a refused body so that the client gets the answer', async () => {
    const s = await serve()
    const c = new Client(s.port)
    c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3000000\r\n\r\n')
    c.send(Buffer.alloc(3_000_000, 0x61))
    await c.waitClosed()
    expect(c.answers.map((a) => a.status)).toEqual([413])
  })

  it('HEAD gets the headers without the body; a 204 has no Content-Length', async () => {
    const s = await serve((r) => (r.method === 'OPTIONS' ? { status: 204, body: '' } : echo(r)))
    const c = new Client(s.port)
    // the HEAD answer has a Content-Length but no body: the client must not wait for one
    const got = within(
      new Promise<string>((resolve) => {
        let t = ''
        c.sock.on('data', (d: Buffer) => {
          t += d.toString('latin1')
          if (t.includes('204 No Content') && t.endsWith('\r\n\r\n')) resolve(t)
        })
      }),
      5000,
      'HEAD + OPTIONS',
    )
    c.send('HEAD / HTTP/1.1\r\nHost: a\r\n\r\n')
    await new Promise((r) => setTimeout(r, 50))
    c.send('OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n')
    const raw = await got
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(raw).toContain(
      `content-length: ${JSON.stringify({ m: 'HEAD', t: '/', b: '' }).length}\r\n`,
    )
    expect(raw).not.toContain('"m"')
    const opt = raw.slice(raw.indexOf('HTTP/1.1 204'))
    expect(opt).not.toContain('content-length')
    c.sock.destroy()
  })

  it('the head must arrive within headersTimeoutMs (408, close); the body within requestTimeoutMs', async () => {
    const s = await serve(echo, {
      headersTimeoutMs: 100,
      requestTimeoutMs: 300,
      checkIntervalMs: 20,
    })
    const slow = new Client(s.port)
    slow.send('POST / HTTP/1.1\r\nHost: a\r\n')
    await slow.waitClosed()
    expect(slow.answers.map((a) => a.status)).toEqual([408])
    const body = new Client(s.port)
    body.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc')
    await body.waitClosed()
    expect(body.answers.map((a) => a.status)).toEqual([408])
  })

  it('an idle keep-alive connection is closed after keepAliveTimeoutMs; a busy answer is not timed out', async () => {
    const s = await serve(
      async (r) => {
        await new Promise((res) => setTimeout(res, 200))
        return echo(r)
      },
      { keepAliveTimeoutMs: 100, headersTimeoutMs: 100, checkIntervalMs: 20 },
    )
    const c = new Client(s.port)
    c.send(post('x'))
    // the answer takes twice the idle and head timeouts: it still comes
    expect((await c.wait(1)).map((a) => a.status)).toEqual([200])
    await c.waitClosed()
    expect(c.answers).toHaveLength(1)
    const idle = new Client(s.port)
    await idle.waitClosed()
    expect(idle.answers).toEqual([])
  })

  it('closes connections past maxConnections', async () => {
    const s = await serve(echo, { maxConnections: 2 })
    const a = new Client(s.port)
    const b = new Client(s.port)
    a.send(post('a'))
    b.send(post('b'))
    await a.wait(1)
    await b.wait(1)
    const c = new Client(s.port)
    c.send(post('c'))
    await c.waitClosed()
    expect(c.answers).toEqual([])
    expect(s.connections).toBe(2)
    a.sock.destroy()
    b.sock.destroy()
  })

  it('a handler that throws or rejects gives 500 and the connection keeps serving', async () => {
    const s = await serve((r) => {
      const b = r.body.toString()
      if (b === 'throw') throw new Error('x')
      if (b === 'reject') return Promise.reject(new Error('y'))
      return echo(r)
    })
    const c = new Client(s.port)
    c.send(post('throw') + post('reject') + post('ok'))
    const a = await c.wait(3)
    expect(a.map((x) => x.status)).toEqual([500, 500, 200])
    c.sock.destroy()
  })

  it('answers what is whole when the client half-closes, then closes', async () => {
    const s = await serve(async (r) => echo(r))
    const c = new Client(s.port)
    c.sock.end(post('a') + post('b') + 'POST / HTT')
    await c.waitClosed()
    expect(c.answers.map((a) => JSON.parse(a.body).b)).toEqual(['a', 'b'])
  })

  it('close() ends open connections and resolves', async () => {
    const s = await serve(() => new Promise<HttpAnswer>(() => {}))
    const idle = new Client(s.port)
    const stuck = new Client(s.port)
    stuck.send(post('never answered'))
    await new Promise((r) => setTimeout(r, 50))
    await within(s.close(), 5000, 'close')
    server = undefined
    await idle.waitClosed()
    await stuck.waitClosed()
  })

  it('seeded random input over sockets: only 4xx/501/505 refusals or closes, and the server keeps serving', async () => {
    const seen: number[] = []
    const s = await serve(echo)
    const r = seededRandom(0x5eed)
    for (let n = 0; n < 60; n++) {
      const c = new Client(s.port)
      const input = fuzzInput(r)
      c.sock.end(input)
      await c.waitClosed()
      for (const a of c.answers) {
        seen.push(a.status)
        expect([200, 400, 413, 417, 431, 501, 505, 100]).toContain(a.status)
      }
    }
    expect(seen.some((x) => x >= 400)).toBe(true)
    const c = new Client(s.port)
    c.send(post('still here'))
    expect(JSON.parse((await c.wait(1))[0]!.body).b).toBe('still here')
    c.sock.destroy()
  })
})
