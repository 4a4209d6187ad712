/**
 * Issue 12, end to end with real processes: a `--dev --dev.period 0` miner mines a transfer, a
 * contract deployment and a call that logs, all sent with eth_sendRawTransaction; a node syncing
 * over libp2p and another over RLPx execute the same blocks and reach the same state root and the
 * same balances, code and storage; a node SIGKILLed in the middle of its sync, and the miner
 * SIGKILLed right after a mined block, restart with nothing lost and a consistent database.
 */
import { privateKeyToAddress, sign } from '@ethwire/crypto'
import { bytesToHex, hexToBytes, Transaction, type TxData } from '@ethwire/rlp-wire'

import { afterAll, describe, expect, onTestFailed, test } from 'vitest'
import { openDatadirChain } from '../../src/datadir.js'
import { createdAddress } from '../../src/rpc/receipt.js'
import { initCode, runtime, wordOf } from '../helpers/contract.js'
import { Cluster, devKeyOf, type EthwireProcess, freePort, timeScale, waitFor } from './harness.js'

const gwei = 1_000_000_000n

function signed(key: Uint8Array, f: Partial<TxData> & { nonce: bigint }): Transaction {
  const data: TxData = {
    type: 2,
    chainId: 1337n,
    maxPriorityFeePerGas: gwei,
    maxFeePerGas: 100n * gwei,
    gasLimit: 21_000n,
    to: null,
    value: 0n,
    data: new Uint8Array(0),
    accessList: [],
    v: 0n,
    r: 0n,
    s: 0n,
    ...f,
  }
  const sig = sign(Transaction.fromData(data).sigHash(), key)
  return Transaction.fromData({ ...data, v: BigInt(sig.recovery), r: sig.r, s: sig.s })
}

type Receipt = {
  status: string
  blockNumber: string
  blockHash: string
  gasUsed: string
  cumulativeGasUsed: string
  contractAddress: string | null
  logs: { address: string; topics: string[]; data: string; logIndex: string }[]
}

async function receiptOf(node: EthwireProcess, hash: string): Promise<Receipt> {
  return waitFor(`receipt of ${hash.slice(0, 10)} on ${node.name}`, () =>
    node.rpc.call<Receipt | null>('eth_getTransactionReceipt', [hash]),
  )
}

async function stateOf(node: EthwireProcess, block: string) {
  const [b, bob, code, slot1, nonce] = await Promise.all([
    node.rpc.call<{ stateRoot: string; hash: string }>('eth_getBlockByNumber', [block, false]),
    node.rpc.call<string>('eth_getBalance', [BOB, block]),
    node.rpc.call<string>('eth_getCode', [CONTRACT.value, block]),
    node.rpc.call<string>('eth_getStorageAt', [CONTRACT.value, '0x1', block]),
    node.rpc.call<string>('eth_getTransactionCount', [SIGNER.value, block]),
  ])
  return { stateRoot: b.stateRoot, hash: b.hash, bob, code, slot1, nonce }
}

const BOB = `0x${'b0'.repeat(20)}`
const CONTRACT = { value: '' }
const SIGNER = { value: '' }

/** Opens a stopped node's database in this process and checks it (every canonical block, heads). */
async function verifyDatabase(datadir: string): Promise<bigint> {
  const chain = await openDatadirChain(datadir)
  try {
    await chain.verifyIntegrity()
    const head = chain.currentHeader()
    expect(await chain.hasState(head.stateRoot)).toBe(true)
    return head.number
  } finally {
    await chain.close()
  }
}

describe('issue 12: every block executed, across nodes and kills', () => {
  const net = new Cluster('exec')
  afterAll(() => net.stopAll(), 30_000 * timeScale)

  test(
    'mined transfer, deployment and log; libp2p and RLPx joiners reach the same state root; kill -9 mid-sync and after a mined block',
    async () => {
      onTestFailed(() => net.fail())
      // a few hundred empty blocks first, so a joiner's sync takes long enough to be killed in it
      const genesis = await net.devchain('miner', 600)
      const key = devKeyOf(net.dir('miner'))
      SIGNER.value = bytesToHex(privateKeyToAddress(key))
      const rlpxPort = await freePort()
      const miner = await net.start('miner', {
        args: ['--dev', '--dev.period', '0', '--rlpx.port', String(rlpxPort)],
      })
      const send = (tx: Transaction) =>
        miner.rpc.call<string>('eth_sendRawTransaction', [bytesToHex(tx.encode())])

      // a transfer and a deployment, then a call that stores and logs
      const transfer = await send(signed(key, { nonce: 0n, to: hexToBytes(BOB), value: 12345n }))
      const deploy = await send(signed(key, { nonce: 1n, gasLimit: 300_000n, data: initCode }))
      const rTransfer = await receiptOf(miner, transfer)
      const rDeploy = await receiptOf(miner, deploy)
      CONTRACT.value = bytesToHex(createdAddress(privateKeyToAddress(key), 1n))
      expect(rTransfer).toMatchObject({ status: '0x1', gasUsed: '0x5208', contractAddress: null })
      expect(rDeploy).toMatchObject({ status: '0x1', contractAddress: CONTRACT.value, logs: [] })
      expect(BigInt(rDeploy.gasUsed)).toBeGreaterThan(53_000n)
      const call = await send(
        signed(key, {
          nonce: 2n,
          gasLimit: 100_000n,
          to: hexToBytes(CONTRACT.value),
          data: wordOf(5n),
        }),
      )
      const rCall = await receiptOf(miner, call)
      expect(rCall.status).toBe('0x1')
      expect(rCall.logs).toEqual([
        expect.objectContaining({
          address: CONTRACT.value,
          topics: [bytesToHex(wordOf(0x77n))],
          data: bytesToHex(wordOf(5n)),
        }),
      ])
      expect(await miner.rpc.call('eth_getCode', [CONTRACT.value, 'latest'])).toBe(
        bytesToHex(runtime),
      )
      const head = await miner.rpc.head()
      expect(head.number).toBeGreaterThan(600)
      const want = await stateOf(miner, 'latest')
      expect(want).toMatchObject({ bob: '0x3039', slot1: bytesToHex(wordOf(5n)), nonce: '0x3' })

      // a joiner over libp2p and one over RLPx execute the same blocks
      await net.init(genesis, net.dir('libp2p'), net.dir('rlpx'), net.dir('killed'))
      const viaLibp2p = await net.start('libp2p', {
        args: ['--bootnodes', await miner.multiaddr(), '--minsyncpeers', '1'],
      })
      const viaRlpx = await net.start('rlpx', {
        args: ['--bootnodes', await miner.enode(), '--minsyncpeers', '1'],
      })
      for (const n of [viaLibp2p, viaRlpx]) {
        await waitFor(
          `${n.name} at the miner's head`,
          async () => (await n.rpc.head()).hash === head.hash,
          {
            timeoutMs: 60_000,
          },
        )
        expect(await stateOf(n, 'latest')).toEqual(want)
        const r = await n.rpc.call<Receipt>('eth_getTransactionReceipt', [call])
        expect(r).toEqual(rCall)
      }
      expect((await viaRlpx.peers()).map((p) => p.network?.transport)).toEqual(['rlpx'])

      // kill -9 in the middle of a sync: what it had imported stays, and it finishes after a restart
      const killed = await net.start('killed', {
        args: ['--bootnodes', await miner.multiaddr(), '--minsyncpeers', '1'],
      })
      const reached = await waitFor(
        'the sync under way',
        async () => {
          const n = (await killed.rpc.head()).number
          return n > 0 && n < head.number ? n : undefined
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      )
      killed.child.kill('SIGKILL')
      await killed.exited
      const stored = await verifyDatabase(net.dir('killed'))
      expect(stored).toBeGreaterThanOrEqual(BigInt(reached))
      const again = await net.start('killed', {
        args: ['--bootnodes', await miner.multiaddr(), '--minsyncpeers', '1'],
      })
      await waitFor(
        'the restarted node synced',
        async () => (await again.rpc.head()).hash === head.hash,
        {
          timeoutMs: 60_000,
        },
      )
      expect(await stateOf(again, 'latest')).toEqual(want)

      // kill -9 right after a mined block: the block, its receipt and its state are there after
      const last = await send(signed(key, { nonce: 3n, to: hexToBytes(BOB), value: 1n }))
      const rLast = await receiptOf(miner, last)
      miner.child.kill('SIGKILL')
      await miner.exited
      const minerHead = await verifyDatabase(net.dir('miner'))
      expect(minerHead).toBe(BigInt(rLast.blockNumber))
      const restarted = await net.start('miner', {
        args: ['--dev', '--dev.period', '0', '--rlpx.port', String(rlpxPort)],
      })
      expect(await restarted.rpc.call('eth_getTransactionReceipt', [last])).toEqual(rLast)
      expect(await restarted.rpc.call('eth_getBalance', [BOB, 'latest'])).toBe('0x303a')
      expect(await restarted.rpc.call('eth_getTransactionCount', [SIGNER.value, 'pending'])).toBe(
        '0x4',
      )
      // and it goes on mining on top of it
      const next = await restarted.rpc.call<string>('eth_sendRawTransaction', [
        bytesToHex(signed(key, { nonce: 4n, to: hexToBytes(BOB), value: 1n }).encode()),
      ])
      expect((await receiptOf(restarted, next)).status).toBe('0x1')
    },
    240_000 * timeScale,
  )
})
