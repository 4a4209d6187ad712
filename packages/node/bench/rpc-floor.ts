/**
 * The floors of the rpc bench: `node --import tsx bench/rpc-floor.ts <port> [http|net]` answers
 * every request with one constant JSON-RPC result and a Content-Length, nothing else.
 * - `http` (default): a `node:http` server that reads each body. Whatever a JSON-RPC server on
 *   `node:http` does, it answers no faster than this.
 * - `net`: a `node:net` server that frames requests by hand (head up to CRLFCRLF, a
 *   Content-Length body; no checks at all) and writes the constant answer: the floor of any JS
 *   server on `node:net`, so of `src/rpc/http-wire.ts`.
 */
import { createServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'

const text = '{"jsonrpc":"2.0","id":1,"result":"0x30ff"}'
const length = String(Buffer.byteLength(text))
const port = Number(process.argv[2] ?? 8546)

if (process.argv[3] === 'net') {
  const answer = Buffer.from(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${text}`,
    'latin1',
  )
  const CRLFCRLF = Buffer.from('\r\n\r\n')
  createNetServer({ noDelay: true }, (sock) => {
    let pending: Buffer | undefined
    sock.on('error', () => sock.destroy())
    sock.on('data', (d: Buffer) => {
      let buf = pending ? Buffer.concat([pending, d]) : d
      let off = 0
      sock.cork()
      for (;;) {
        const he = buf.indexOf(CRLFCRLF, off)
        if (he === -1) break
        const head = buf.toString('latin1', off, he).toLowerCase()
        const cl = head.indexOf('content-length:')
        const len = cl === -1 ? 0 : Number.parseInt(head.slice(cl + 15), 10)
        if (he + 4 + len > buf.length) break
        off = he + 4 + len
        sock.write(answer)
      }
      sock.uncork()
      buf = buf.subarray(off)
      pending = buf.length > 0 ? buf : undefined
    })
  }).listen(port, '127.0.0.1')
} else {
  createServer((req, res) => {
    req.on('data', () => {})
    req.on('end', () => {
      res.writeHead(200, ['content-type', 'application/json', 'content-length', length])
      res.end(text)
    })
  }).listen(port, '127.0.0.1')
}
