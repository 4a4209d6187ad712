/**
 * Sends signed transfers to a node over JSON-RPC (`eth_sendRawTransaction`), to give the mempool
 * watcher something to print. On a `--dev` node use the dev signer key, the account the dev
 * genesis funds (`<datadir>/dev-signer-key`).
 *
 *   node --import tsx examples/send-transfer.ts --key-file /tmp/dev/dev-signer-key
 *        [--rpc http://127.0.0.1:8545] [--count 1] [--value 1] [--to 0x…]
 *
 * The nonce is the sender's pending nonce (`eth_getTransactionCount` with `pending`: the state's
 * nonce after the pool's transactions from it).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { signTransfer } from './lib/transfer.js'

const { values } = parseArgs({
  options: {
    rpc: { type: 'string', default: 'http://127.0.0.1:8545' },
    'key-file': { type: 'string' },
    count: { type: 'string', default: '1' },
    value: { type: 'string', default: '1' },
    to: { type: 'string' },
  },
})
if (values['key-file'] === undefined) {
  console.error('usage: send-transfer --key-file <hex key file> [--rpc url] [--count n]')
  process.exit(2)
}

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(values.rpc, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

const raw = readFileSync(values['key-file'], 'utf8').trim()
const key = hexToBytes(raw.startsWith('0x') ? raw : `0x${raw}`)
const sender = bytesToHex(privateKeyToAddress(key))
const chainId = BigInt(await rpc<string>('eth_chainId'))
// the next nonce counting this sender's transactions already in the pool
let nonce = BigInt(await rpc<string>('eth_getTransactionCount', [sender, 'pending']))
for (let i = 0; i < Number(values.count); i++, nonce++) {
  const tx = signTransfer(key, { chainId, nonce, value: BigInt(values.value), to: values.to })
  console.log(`sent ${await rpc<string>('eth_sendRawTransaction', [bytesToHex(tx.encode())])}`)
}
