/**
 * The JSON-RPC conformance fixtures of ethereum/execution-apis, replayed as hive's rpc-compat
 * simulator does: init with `genesis.json`, import `chain.rlp` (every fork from Frontier through
 * the merge to Osaka and its blob-parameter forks), check the head is the one `headfcu.json` sets,
 * then send every `<method>/<case>.io` request in order over HTTP and judge each answer
 * (`rpc-compat/cases.ts`).
 *
 * `rpc-compat/expected-pass.txt` lists the cases that must pass: each one is its own test here, so
 * a regression fails CI. The rest run in one report test that prints what they answered; when a
 * case starts passing, the report says so and it goes into the list. The fixtures (eth_, net_,
 * txpool_ and debug_getRaw* cases) are in `fixtures/rpc-compat/` (source in its README).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes } from '@ethwire/rlp-wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importCommand, initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { judge, loadCases, type RpcCase } from './rpc-compat/cases.js'

const fixtures = join(import.meta.dirname, 'fixtures', 'rpc-compat')
const cases = loadCases(fixtures)
const mustPass = new Set(
  readFileSync(join(import.meta.dirname, 'rpc-compat', 'expected-pass.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#')),
)

let root: string
let node: EthwireNode
let url: string

async function send(body: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(20_000),
  })
  return res.json()
}

/** The chain id the node answers (eth_chainId), as a JSON string. */
async function readFixtureChainId(): Promise<string> {
  const r = (await send('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')) as { result: string }
  return JSON.stringify(r.result)
}

/** Why the case fails, or undefined when every exchange passes. */
async function runCase(c: RpcCase): Promise<string | undefined> {
  for (const [i, x] of c.exchanges.entries()) {
    const why = judge(await send(x.request), JSON.parse(x.response), c.specOnly)
    if (why) return c.exchanges.length > 1 ? `exchange ${i + 1}: ${why}` : why
  }
  return undefined
}

describe('execution-apis rpc-compat fixtures', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ethwire-rpccompat-'))
    const ctx = { datadir: root, fakePow: true, log: silentLogger, out: () => {} }
    await initCommand(ctx, join(fixtures, 'genesis.json'))
    const imported = await importCommand(ctx, join(fixtures, 'chain.rlp'))
    const fcu = JSON.parse(readFileSync(join(fixtures, 'headfcu.json'), 'utf8')) as {
      params: [{ headBlockHash: string; safeBlockHash: string; finalizedBlockHash: string }]
    }
    // headfcu.json names the last block of chain.rlp: importing sets that head
    expect(imported.hash).toBe(fcu.params[0].headBlockHash)
    node = createNode({
      datadir: root,
      fakePow: true,
      http: { host: '127.0.0.1', port: 0 },
      port: 0,
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await node.start()
    // the rest of headfcu.json's forkchoice: the safe and finalized blocks
    await node.backend.setFinality?.({
      safe: hexToBytes(fcu.params[0].safeBlockHash),
      finalized: hexToBytes(fcu.params[0].finalizedBlockHash),
    })
    url = node.rpcUrl as string
  }, 120_000)

  afterAll(async () => {
    await node?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('the expected-pass list names only cases that exist', () => {
    const ids = new Set(cases.map((c) => c.id))
    expect([...mustPass].filter((id) => !ids.has(id))).toEqual([])
    expect(cases.length).toBe(124)
  })

  for (const c of cases.filter((c) => mustPass.has(c.id))) {
    it(c.id, async () => {
      expect(await runCase(c)).toBeUndefined()
    })
  }

  it('block overrides past the merge: PREVRANDAO, COINBASE, BASEFEE and NUMBER of callenv', async () => {
    // hive's callenv contract returns number, chainid, coinbase, basefee, prevrandao, origin, value
    const reply = (await send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_call',
        params: [
          {
            from: '0x14e46043e63d0e3cdcf2530519f4cfaf35058cb2',
            to: '0x9344b07175800259691961298ca11c824e65032d',
            gasPrice: '0x3b9aca00',
          },
          'latest',
          null,
          {
            number: '0x99',
            feeRecipient: `0x${'fe'.repeat(20)}`,
            prevRandao: `0x${'ab'.repeat(32)}`,
            baseFeePerGas: '0x7',
          },
        ],
      }),
    )) as { result: string }
    const words = reply.result.slice(2).match(/.{64}/g) as string[]
    expect(words.map((w) => BigInt(`0x${w}`))).toEqual([
      0x99n,
      BigInt(JSON.parse(await readFixtureChainId())),
      BigInt(`0x${'fe'.repeat(20)}`),
      7n,
      BigInt(`0x${'ab'.repeat(32)}`),
      0x14e46043e63d0e3cdcf2530519f4cfaf35058cb2n,
      0n,
    ])
  })

  it("safe and finalized are headfcu.json's blocks", async () => {
    const fcu = JSON.parse(readFileSync(join(fixtures, 'headfcu.json'), 'utf8')) as {
      params: [{ safeBlockHash: string; finalizedBlockHash: string }]
    }
    for (const [tag, hash] of [
      ['safe', fcu.params[0].safeBlockHash],
      ['finalized', fcu.params[0].finalizedBlockHash],
    ]) {
      const r = (await send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'eth_getBlockByNumber',
          params: [tag, false],
        }),
      )) as { result: { hash: string } }
      expect(r.result.hash).toBe(hash)
    }
  })

  it('report: the cases not in the list yet', async () => {
    const rest = cases.filter((c) => !mustPass.has(c.id))
    const lines: string[] = []
    const nowPassing: string[] = []
    for (const c of rest) {
      const why = await runCase(c)
      if (why === undefined) nowPassing.push(c.id)
      else lines.push(`  ${c.id}: ${why}`)
    }
    const summary = `rpc-compat: ${mustPass.size + nowPassing.length} of ${cases.length} pass`
    console.log(
      [
        summary,
        ...(nowPassing.length
          ? ['passing but not in expected-pass.txt:', ...nowPassing.map((id) => `  ${id}`)]
          : []),
        `failing (${lines.length}):`,
        ...lines,
      ].join('\n'),
    )
    // the node keeps serving after every case, malformed ones included
    expect(await send('{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}')).toMatchObject({ id: 7 })
  }, 120_000)
})
