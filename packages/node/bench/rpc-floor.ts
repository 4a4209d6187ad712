/**
 * The floor of `node:http` for the rpc bench: `node --import tsx bench/rpc-floor.ts <port>` reads
 * each request body and answers one constant JSON-RPC result with a Content-Length, nothing else.
 * Whatever a JSON-RPC server on `node:http` does, it answers no faster than this.
 */
import { createServer } from 'node:http'

const text = '{"jsonrpc":"2.0","id":1,"result":"0x30ff"}'
const length = String(Buffer.byteLength(text))
createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    res.writeHead(200, ['content-type', 'application/json', 'content-length', length])
    res.end(text)
  })
}).listen(Number(process.argv[2] ?? 8546), '127.0.0.1')
