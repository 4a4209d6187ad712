/**
 * A JSON-RPC batch's shared work: a method's `prepareBatch` sees the params of all its calls in the
 * batch before they run; eth_sendRawTransaction uses it to recover every sender of the batch at
 * once in the recovery workers, so the calls that follow recover nothing on the main thread.
 */
import { createRecoveryPool, loadRecoverer } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import { createTxPool, decodeRawTransaction, type RecoveredSender } from '@ethwire/txpool'
import { signTx, testAccount } from '@ethwire/txpool/testing'
import { describe, expect, it } from 'vitest'
import type { Backend } from '../src/rpc/backend.js'
import { handleBody, type RpcHandler, type RpcMethods } from '../src/rpc/dispatch.js'
import { createRpcMethods } from '../src/rpc/methods/index.js'

const req = (id: number, method: string, params: unknown[]) => ({
  jsonrpc: '2.0',
  id,
  method,
  params,
})

describe('prepareBatch', () => {
  it('runs once per batch with the params of every call, before the calls', async () => {
    const seen: string[] = []
    const echo: RpcHandler = Object.assign(
      (params: unknown[]) => {
        seen.push(`call ${params[0]}`)
        return params[0]
      },
      {
        prepareBatch: async (list: unknown[][]) => {
          seen.push(`prepare ${list.map((p) => p[0]).join(',')}`)
        },
      },
    )
    const methods: RpcMethods = { echo, other: () => 'x' }
    const out = await handleBody(
      methods,
      JSON.stringify([
        req(1, 'echo', ['a']),
        req(2, 'other', []),
        req(3, 'echo', ['b']),
        { bad: 1 },
      ]),
    )
    expect(seen).toEqual(['prepare a,b', 'call a', 'call b'])
    expect((out as { result?: unknown }[]).map((r) => r.result)).toEqual(['a', 'x', 'b', undefined])
    // a single call, or a batch with one call to it: no prepare
    seen.length = 0
    await handleBody(methods, JSON.stringify(req(4, 'echo', ['c'])))
    await handleBody(methods, JSON.stringify([req(5, 'echo', ['d']), req(6, 'other', [])]))
    expect(seen).toEqual(['call c', 'call d'])
  })

  it('a failing prepare leaves the calls to do their own work', async () => {
    const echo: RpcHandler = Object.assign((params: unknown[]) => params[0], {
      prepareBatch: async () => {
        throw new Error('no')
      },
    })
    const out = await handleBody(
      { echo },
      JSON.stringify([req(1, 'echo', [1]), req(2, 'echo', [2])]),
    )
    expect((out as { result?: unknown }[]).map((r) => r.result)).toEqual([1, 2])
  })
})

describe('eth_sendRawTransaction in a batch', () => {
  it('recovers the senders in the workers: none on the main thread', async () => {
    const chainId = 1337n
    const inner = loadRecoverer()
    let mainThread = 0
    const recoverer = {
      name: inner.name,
      recoverPublicKey: (h: Uint8Array, r: bigint, s: bigint, v: number) => {
        mainThread++
        return inner.recoverPublicKey(h, r, s, v)
      },
    }
    const workers = createRecoveryPool({ workers: 1 })
    try {
      const pool = createTxPool({ recoverer, batchRecoverer: workers }, { chainId })
      const backend = {
        sendRawTransaction: async (raw: Uint8Array, prepared?: unknown) => {
          const r = prepared as RecoveredSender | undefined
          if (r !== undefined) return (await pool.add(r.tx, { local: true, recovered: r })).hashHex
          return (await pool.addRaw(raw, { local: true })).hashHex
        },
        prepareRawTransactions: (raws: readonly Uint8Array[]) =>
          pool.recoverSenders(raws.map((r) => decodeRawTransaction(r))),
      } as Partial<Backend> as Backend
      const methods = createRpcMethods(backend)
      const keys = [1, 2, 3].map((i) => testAccount(i))
      const txs = keys.map((a) =>
        signTx(
          {
            type: 2,
            chainId,
            nonce: 0n,
            maxPriorityFeePerGas: 1n,
            maxFeePerGas: 100n,
            gasLimit: 21_000n,
            to: new Uint8Array(20).fill(9),
            value: 1n,
            data: new Uint8Array(0),
            accessList: [],
          },
          a.key,
        ),
      )
      const body = JSON.stringify(
        txs.map((t, i) => req(i, 'eth_sendRawTransaction', [bytesToHex(t.encode())])),
      )
      const out = (await handleBody(methods, body)) as { result?: string }[]
      expect(out.map((r) => r.result)).toEqual(txs.map((t) => bytesToHex(t.hash)))
      expect(mainThread).toBe(0)
      expect(pool.get(txs[2]!.hash)?.sender).toEqual(keys[2]!.address)
      // one call alone: recovered here, as before
      const one = signTx({ ...txs[0]!.toData(), nonce: 1n }, keys[0]!.key)
      await handleBody(
        methods,
        JSON.stringify(req(9, 'eth_sendRawTransaction', [bytesToHex(one.encode())])),
      )
      expect(mainThread).toBe(1)
    } finally {
      await workers.close()
    }
  })
})
