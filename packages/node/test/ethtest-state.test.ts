/**
 * The ethtest chain (600 blocks made by go-ethereum: legacy, 2930, 1559, 4844 and 7702
 * transactions, Shanghai → Cancun → Prague) imported with execution, then go-ethereum's own dump of
 * the head state (`headstate.json`) checked account by account over JSON-RPC: balance, nonce, code
 * and every storage slot. An independent EVM agreeing with ours on all of it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importCommand, initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f)
interface DumpAccount {
  balance: string
  nonce: number
  code?: string
  storage?: Record<string, string>
}
const dump = JSON.parse(readFileSync(fx('headstate.json'), 'utf8')) as {
  root: string
  accounts: Record<string, DumpAccount>
}
const headblock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as { hash: string }

let root: string
let node: EthwireNode

/** The calls as JSON-RPC batches of at most 100 (the server's batch limit). */
async function batch(calls: [string, unknown[]][]): Promise<unknown[]> {
  const out: unknown[] = []
  for (let i = 0; i < calls.length; i += 100) out.push(...(await batchOf(calls.slice(i, i + 100))))
  return out
}

async function batchOf(calls: [string, unknown[]][]): Promise<unknown[]> {
  const res = await fetch(node.rpcUrl as string, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params })),
    ),
    signal: AbortSignal.timeout(30_000),
  })
  const body = (await res.json()) as unknown
  if (!Array.isArray(body)) throw new Error(`batch answered ${JSON.stringify(body)}`)
  const out = body as { id: number; result?: unknown; error?: { message: string } }[]
  return out
    .sort((a, b) => a.id - b.id)
    .map((r) => {
      if (r.error) throw new Error(`${calls[r.id]?.[0]}: ${r.error.message}`)
      return r.result
    })
}

describe('ethtest head state over JSON-RPC', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ethwire-headstate-'))
    const ctx = { datadir: root, fakePow: false, log: silentLogger, out: () => {} }
    await initCommand(ctx, fx('genesis.json'))
    const imported = await importCommand(ctx, fx('chain.rlp'))
    expect(imported.hash).toBe(headblock.hash)
    node = createNode({
      datadir: root,
      http: { host: '127.0.0.1', port: 0 },
      port: 0,
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await node.start()
  }, 180_000)

  afterAll(async () => {
    await node?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('the head block carries the dumped state root', async () => {
    const [block] = (await batch([['eth_getBlockByNumber', ['latest', false]]])) as {
      stateRoot: string
      hash: string
    }[]
    expect(block?.hash).toBe(headblock.hash)
    expect(block?.stateRoot).toBe(`0x${dump.root}`)
  })

  it('balance, nonce, code and storage of all 194 accounts match go-ethereum', async () => {
    const entries = Object.entries(dump.accounts)
    expect(entries.length).toBe(194)
    let slots = 0
    for (const [address, acc] of entries) {
      const storage = Object.entries(acc.storage ?? {})
      const [balance, nonce, code, ...values] = await batch([
        ['eth_getBalance', [address, 'latest']],
        ['eth_getTransactionCount', [address, 'latest']],
        ['eth_getCode', [address, 'latest']],
        ...storage.map(
          ([slot]) => ['eth_getStorageAt', [address, slot, 'latest']] as [string, unknown[]],
        ),
      ])
      expect(BigInt(balance as string), `${address} balance`).toBe(BigInt(acc.balance))
      expect(Number(BigInt(nonce as string)), `${address} nonce`).toBe(acc.nonce)
      expect(code, `${address} code`).toBe(acc.code ?? '0x')
      storage.forEach(([slot, value], i) => {
        expect(BigInt(values[i] as string), `${address} slot ${slot}`).toBe(BigInt(`0x${value}`))
      })
      slots += storage.length
    }
    expect(slots).toBeGreaterThan(60)
  }, 120_000)
})
