/**
 * Issue 14, end to end with real processes: node A holds a dev chain whose state has 10,000
 * accounts the genesis does not (transfers mined in process, `fastsync-chain.ts`); B fast-syncs
 * from it over libp2p and C over RLPx, both on eth/66 (GetNodeData is eth/63–66 only). Both end at
 * A's head with A's state root, read the balances of random accounts over JSON-RPC, and then go on
 * in full mode: a transaction sent to B is mined by A and the new block executed by B and C. A
 * fourth node K is SIGKILLed in the middle of its state download, restarted, and resumes from what
 * it had stored (it pulls fewer state entries than a whole download), ending at the same root.
 */
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import { afterAll, describe, expect, onTestFailed, test } from 'vitest'
import { nodeConfigFromFlags, parseArgs, UsageError } from '../../src/args.js'
import { openDatadirChain } from '../../src/datadir.js'
import { accountAt, buildStateChain, fundedValue } from './fastsync-chain.js'
import {
  Cluster,
  devKeyOf,
  type EthwireProcess,
  freePort,
  signTransfer,
  timeScale,
  waitFor,
} from './harness.js'

const accounts = 10_000
const blocks = 200

interface Syncing {
  startingBlock: string
  currentBlock: string
  highestBlock: string
  pulledStates: string
  knownStates: string
}

/** The `Sync done … mode=fast … pulledStates=N` line of a node's log. */
function fastSyncDone(node: EthwireProcess): { pulled: number; known: number } | undefined {
  const m = /Sync done .*mode=fast.*pulledStates=(\d+) knownStates=(\d+)/.exec(node.log())
  return m ? { pulled: Number(m[1]), known: Number(m[2]) } : undefined
}

async function blockOf(node: EthwireProcess, tag = 'latest') {
  return node.rpc.call<{ hash: string; number: string; stateRoot: string }>(
    'eth_getBlockByNumber',
    [tag, false],
  )
}

/** Balances of `n` pseudo-random funded accounts (and the signer's nonce) at the node's head. */
async function sampleBalances(node: EthwireProcess, seed: number, n = 25) {
  let x = seed >>> 0
  const picks = Array.from({ length: n }, () => {
    x = (x * 1664525 + 1013904223) >>> 0
    return x % accounts
  })
  const got = await node.rpc.batch(
    picks.map((i) => ({ method: 'eth_getBalance', params: [bytesToHex(accountAt(i)), 'latest'] })),
  )
  return picks.map((i, j) => ({ i, got: got[j]?.result, want: `0x${fundedValue(i).toString(16)}` }))
}

describe('--syncmode', () => {
  test('fast or full (default full), passed to the node config', () => {
    expect(parseArgs([]).flags.syncmode).toBe('full')
    expect(nodeConfigFromFlags(parseArgs([]).flags).syncMode).toBeUndefined() // full
    expect(nodeConfigFromFlags(parseArgs(['--syncmode', 'fast']).flags).syncMode).toBe('fast')
    expect(parseArgs(['--syncmode=full']).flags.syncmode).toBe('full')
    expect(() => parseArgs(['--syncmode', 'snap'])).toThrow(UsageError)
    expect(() => parseArgs(['--syncmode', 'snap'])).toThrow(/fast or full/)
  })
})

describe('issue 14: fast sync', () => {
  const net = new Cluster('fastsync')
  afterAll(() => net.stopAll(), 30_000 * timeScale)

  test(
    'libp2p and RLPx (eth/66) fast-sync 10,000 accounts, read balances, go on in full mode; kill -9 mid state download resumes',
    async () => {
      onTestFailed(() => net.fail())
      const built = await buildStateChain(net.dir('a'), { accounts, blocks })
      const genesis = await net.dumpGenesis(net.dir('a'))
      await net.init(genesis, net.dir('b'), net.dir('c'), net.dir('k'))
      const rlpxPort = await freePort()
      const a = await net.start('a', {
        args: ['--dev', '--dev.period', '0', '--rlpx.port', String(rlpxPort)],
      })
      const head = await blockOf(a)
      expect(head.hash).toBe(built.head.hash)
      expect(head.stateRoot).toBe(built.head.stateRoot)

      const fast = ['--syncmode', 'fast', '--eth', '66', '--minsyncpeers', '1']
      const b = await net.start('b', { args: [...fast, '--bootnodes', await a.multiaddr()] })
      const c = await net.start('c', { args: [...fast, '--bootnodes', await a.enode()] })
      // eth_syncing while B syncs: go-ethereum v1.8's five fields
      const seen: Syncing[] = []
      for (const n of [b, c]) {
        await waitFor(
          `${n.name} at A's head`,
          async () => {
            const s = await n.rpc.call<Syncing | false>('eth_syncing')
            if (s && n === b) seen.push(s)
            return (await blockOf(n)).hash === head.hash
          },
          { timeoutMs: 90_000, intervalMs: 25 },
        )
        expect(await blockOf(n)).toMatchObject({ stateRoot: head.stateRoot })
        for (const s of await sampleBalances(n, 7)) expect(s.got, `account ${s.i}`).toBe(s.want)
        const done = fastSyncDone(n)
        expect(done, `${n.name} logged a fast sync`).toBeDefined()
        // every account leaf of the new state was downloaded (the genesis had none of them)
        expect(done!.pulled).toBeGreaterThan(accounts)
        expect(await n.rpc.call('eth_syncing')).toBe(false)
      }
      expect(fastSyncDone(b)!.pulled).toBe(fastSyncDone(c)!.pulled)
      expect((await c.peers()).map((p) => p.network?.transport)).toEqual(['rlpx'])
      if (seen.length > 0)
        expect(Object.keys(seen[0]!).sort()).toEqual(
          ['currentBlock', 'highestBlock', 'knownStates', 'pulledStates', 'startingBlock'].sort(),
        )
      const whole = fastSyncDone(b)!.pulled

      // kill -9 in the middle of the state download; the restart resumes from the stored subtrees
      const k = await net.start('k', { args: [...fast, '--bootnodes', await a.multiaddr()] })
      const mid = await waitFor(
        'K in the middle of its state download',
        async () => {
          const s = await k.rpc.call<Syncing | false>('eth_syncing', [], 1_000)
          if (!s) return undefined
          const pulled = Number(BigInt(s.pulledStates))
          return pulled > whole / 4 && pulled < (whole * 3) / 4 ? s : undefined
        },
        { timeoutMs: 90_000, intervalMs: 10 },
      )
      k.child.kill('SIGKILL')
      await k.exited
      // eth_syncing during a fast sync: go-ethereum v1.8's five fields
      expect(Object.keys(mid).sort()).toEqual(
        ['currentBlock', 'highestBlock', 'knownStates', 'pulledStates', 'startingBlock'].sort(),
      )
      expect(Number(BigInt(mid.knownStates))).toBeGreaterThan(Number(BigInt(mid.pulledStates)))
      // the database is consistent: head still at genesis (no state yet), blocks stored above it
      const kc = await openDatadirChain(net.dir('k'))
      try {
        await kc.verifyIntegrity()
        expect(kc.currentHeader().number).toBe(0n)
      } finally {
        await kc.close()
      }
      const k2 = await net.start('k', { args: [...fast, '--bootnodes', await a.multiaddr()] })
      await waitFor('K restarted at A’s head', async () => (await blockOf(k2)).hash === head.hash, {
        timeoutMs: 90_000,
      })
      expect(await blockOf(k2)).toMatchObject({ stateRoot: head.stateRoot })
      const resumed = fastSyncDone(k2)
      expect(resumed, 'K logged a fast sync after the restart').toBeDefined()
      // it did not start from zero: what it had stored before the kill was not pulled again
      expect(resumed!.pulled).toBeLessThan(whole)
      process.stderr.write(
        `[fastsync e2e] whole download ${whole} entries; K killed at ${Number(BigInt(mid.pulledStates))}, pulled ${resumed!.pulled} after the restart; eth_syncing seen ${seen.length}× on B\n`,
      )
      for (const s of await sampleBalances(k2, 11)) expect(s.got, `account ${s.i}`).toBe(s.want)

      // full mode from here: B takes a transaction, A mines it, B, C and K execute the block
      const key = devKeyOf(net.dir('a'))
      const signer = bytesToHex(privateKeyToAddress(key))
      const nonce = BigInt(await a.rpc.call<string>('eth_getTransactionCount', [signer, 'latest']))
      const to = accountAt(0)
      const tx = signTransfer(key, { chainId: 1337n, nonce, to, value: 5n })
      const hash = await b.rpc.call<string>('eth_sendRawTransaction', [bytesToHex(tx.encode())])
      const receipt = await waitFor(
        'the transaction sent to B mined by A',
        () =>
          a.rpc.call<{ blockHash: string; status: string } | null>('eth_getTransactionReceipt', [
            hash,
          ]),
        { timeoutMs: 30_000 },
      )
      expect(receipt.status).toBe('0x1')
      const next = await blockOf(a)
      expect(next.hash).toBe(receipt.blockHash)
      for (const n of [b, c, k2]) {
        await waitFor(
          `${n.name} executed the new block`,
          async () => (await blockOf(n)).hash === next.hash,
          { timeoutMs: 30_000 },
        )
        expect(await blockOf(n)).toMatchObject({ stateRoot: next.stateRoot })
        expect(await n.rpc.call('eth_getBalance', [bytesToHex(to), 'latest'])).toBe(
          `0x${(fundedValue(0) + 5n).toString(16)}`,
        )
        expect(await n.rpc.call('eth_getTransactionReceipt', [hash])).toMatchObject({
          status: '0x1',
        })
      }
    },
    300_000 * timeScale,
  )
})
