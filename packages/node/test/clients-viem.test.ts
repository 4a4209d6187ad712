/**
 * viem against `ethwire --dev` in process (createNode, dev period 0: a block whenever a transaction
 * arrives), HTTP and WebSocket JSON-RPC, with the Solidity contract of
 * test/fixtures/solidity/Counter.sol (committed solc artifact, see test/helpers/solidity.ts):
 * deployContract from a local account (the dev key, eth_sendRawTransaction), readContract,
 * writeContract from the node's unlocked dev account (eth_sendTransaction) and
 * waitForTransactionReceipt, the event decoded from the receipt and found with getContractEvents and
 * getLogs, watchContractEvent over a WebSocket subscription, estimateContractGas, simulateContract
 * and writeContract reverts decoded (ContractFunctionRevertedError: the `require` reason and the
 * custom error, also when the node estimates the gas of eth_sendTransaction), and
 * the fees (estimateFeesPerGas, getGasPrice, getFeeHistory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  type Hex,
  http,
  parseEventLogs,
  toFunctionSelector,
  webSocket,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { counterArtifact } from './helpers/solidity.js'
import { devChain } from './helpers/viem-chain.js'
import { until } from './helpers/wait.js'

const { abi, bytecode, deployedBytecode } = counterArtifact()
const root = mkdtempSync(join(tmpdir(), 'ethwire-viem-'))
let node: EthwireNode
let pub: ReturnType<typeof makePublic>
let address: Hex
let account: ReturnType<typeof privateKeyToAccount>

const makePublic = (url: string) =>
  createPublicClient({ chain: devChain, transport: http(url), pollingInterval: 50 })

const receiptOf = (hash: Hex) =>
  pub.waitForTransactionReceipt({ hash, timeout: 20_000, pollingInterval: 50 })

/** The revert viem found under a rejected contract call. */
const revertOf = async (p: Promise<unknown>): Promise<ContractFunctionRevertedError> => {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(BaseError)
    const r = (e as BaseError).walk((x) => x instanceof ContractFunctionRevertedError)
    expect(r).toBeInstanceOf(ContractFunctionRevertedError)
    return r as ContractFunctionRevertedError
  }
  throw new Error('expected a revert')
}

beforeAll(async () => {
  const datadir = join(root, 'dev')
  node = createNode({
    datadir,
    dev: { periodSeconds: 0 },
    http: { host: '127.0.0.1', port: 0 },
    ws: { host: '127.0.0.1', port: 0 },
    port: 0,
    logger: silentLogger,
    logIntervalMs: 0,
  })
  await node.start()
  pub = makePublic(node.rpcUrl as string)
  const key = readFileSync(join(datadir, 'dev-signer-key'), 'utf8').trim()
  account = privateKeyToAccount(`0x${key}`)
})

afterAll(async () => {
  await node?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('viem against --dev', () => {
  it('deploys Counter from a local account and reads it', async () => {
    const wallet = createWalletClient({ account, chain: devChain, transport: http(node.rpcUrl) })
    const hash = await wallet.deployContract({ abi, bytecode, args: [5n] })
    const receipt = await receiptOf(hash)
    expect(receipt.status).toBe('success')
    address = receipt.contractAddress as Hex
    expect(await pub.getCode({ address })).toBe(deployedBytecode)
    expect(await pub.readContract({ address, abi, functionName: 'total' })).toBe(5n)
    expect(await pub.readContract({ address, abi, functionName: 'MAX' })).toBe(1000n)
    expect(await pub.readContract({ address, abi, functionName: 'totalTimes', args: [3n] })).toBe(
      15n,
    )
  })

  it('writes from the unlocked dev account, decodes the event, finds it with getContractEvents and getLogs', async () => {
    // a JSON-RPC account: the node fills and signs (eth_sendTransaction)
    const wallet = createWalletClient({ chain: devChain, transport: http(node.rpcUrl) })
    const hash = await wallet.writeContract({
      account: account.address,
      address,
      abi,
      functionName: 'add',
      args: [7n],
    })
    const receipt = await receiptOf(hash)
    expect(receipt.status).toBe('success')
    expect(receipt.from).toBe(account.address.toLowerCase())
    const [ev] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Added' })
    expect(ev?.args).toEqual({ by: account.address, total: 12n, amount: 7n })

    const events = await pub.getContractEvents({
      address,
      abi,
      eventName: 'Added',
      args: { by: account.address },
      fromBlock: 0n,
      toBlock: 'latest',
    })
    expect(events.map((e) => [e.args, e.transactionHash, e.blockNumber])).toEqual([
      [{ by: account.address, total: 12n, amount: 7n }, hash, receipt.blockNumber],
    ])
    // by the indexed running total, and by a sender that never called: nothing
    expect(
      await pub.getContractEvents({
        address,
        abi,
        eventName: 'Added',
        args: { total: 12n },
        fromBlock: 0n,
      }),
    ).toHaveLength(1)
    expect(
      await pub.getContractEvents({
        address,
        abi,
        eventName: 'Added',
        args: { by: `0x${'11'.repeat(20)}` },
        fromBlock: 0n,
      }),
    ).toEqual([])
    const logs = await pub.getLogs({ address, fromBlock: receipt.blockNumber })
    expect(logs).toHaveLength(1)
    expect(decodeEventLog({ abi, data: logs[0]!.data, topics: logs[0]!.topics }).args).toEqual({
      by: account.address,
      total: 12n,
      amount: 7n,
    })
    expect(logs[0]?.blockHash).toBe(receipt.blockHash)
  })

  it('watches Added over a WebSocket subscription (watchContractEvent)', async () => {
    const ws = createPublicClient({ chain: devChain, transport: webSocket(node.wsUrl) })
    try {
      const heard: { args: unknown; blockNumber: bigint | null }[] = []
      const subs = node.rpc?.ws?.stats().subscriptions ?? 0
      const unwatch = ws.watchContractEvent({
        address,
        abi,
        eventName: 'Added',
        poll: false,
        onLogs: (ls) => {
          for (const l of ls)
            heard.push({
              args: (l as unknown as { args: unknown }).args,
              blockNumber: l.blockNumber,
            })
        },
      })
      // the subscription is live once the server has it
      await until(
        () => (node.rpc?.ws?.stats().subscriptions ?? 0) > subs,
        10_000,
        'eth_subscribe logs',
      )
      const wallet = createWalletClient({ account, chain: devChain, transport: http(node.rpcUrl) })
      const hash = await wallet.writeContract({ address, abi, functionName: 'add', args: [3n] })
      const receipt = await receiptOf(hash)
      await until(() => heard.length > 0, 10_000, 'Added over WebSocket')
      expect(heard).toEqual([
        { args: { by: account.address, total: 15n, amount: 3n }, blockNumber: receipt.blockNumber },
      ])
      unwatch()
    } finally {
      await ws.transport.getRpcClient().then((c) => c.close())
    }
  })

  it('estimates gas: enough for the call it estimates', async () => {
    const gas = await pub.estimateContractGas({
      account: account.address,
      address,
      abi,
      functionName: 'add',
      args: [4n],
    })
    expect(gas).toBeGreaterThan(21_000n)
    const wallet = createWalletClient({ account, chain: devChain, transport: http(node.rpcUrl) })
    const hash = await wallet.writeContract({ address, abi, functionName: 'add', args: [4n], gas })
    const receipt = await receiptOf(hash)
    expect(receipt.status).toBe('success')
    expect(receipt.gasUsed).toBeLessThanOrEqual(gas)
  })

  it('decodes reverts: the require reason and the custom error (simulateContract, writeContract)', async () => {
    const reason = await revertOf(
      pub.simulateContract({
        account: account.address,
        address,
        abi,
        functionName: 'add',
        args: [0n],
      }),
    )
    expect(reason.reason).toBe('amount is zero')
    expect(reason.data?.errorName).toBe('Error')
    expect(reason.data?.args).toEqual(['amount is zero'])

    const custom = await revertOf(
      pub.simulateContract({
        account: account.address,
        address,
        abi,
        functionName: 'add',
        args: [5000n],
      }),
    )
    expect(custom.data?.errorName).toBe('TooLarge')
    expect(custom.data?.args).toEqual([5000n, 1000n])
    expect(custom.raw?.slice(0, 10)).toBe(toFunctionSelector('TooLarge(uint256,uint256)'))

    // writing estimates gas first: the same revert, decoded, and nothing is sent
    const wallet = createWalletClient({ account, chain: devChain, transport: http(node.rpcUrl) })
    const sent = await revertOf(
      wallet.writeContract({ address, abi, functionName: 'add', args: [5000n] }),
    )
    expect(sent.data?.errorName).toBe('TooLarge')
    const sentReason = await revertOf(
      pub.estimateContractGas({
        account: account.address,
        address,
        abi,
        functionName: 'add',
        args: [0n],
      }),
    )
    expect(sentReason.reason).toBe('amount is zero')
    // from the node's account viem sends eth_sendTransaction as it is: the node estimates the gas,
    // and its revert comes back as error 3 with the data, decoded like the others
    const rpcWallet = createWalletClient({ chain: devChain, transport: http(node.rpcUrl) })
    const fromNode = await revertOf(
      rpcWallet.writeContract({
        account: account.address,
        address,
        abi,
        functionName: 'add',
        args: [0n],
      }),
    )
    expect(fromNode.reason).toBe('amount is zero')
    const customFromNode = await revertOf(
      rpcWallet.writeContract({
        account: account.address,
        address,
        abi,
        functionName: 'add',
        args: [5000n],
      }),
    )
    expect(customFromNode.data?.errorName).toBe('TooLarge')
    expect(customFromNode.data?.args).toEqual([5000n, 1000n])
    expect(await pub.readContract({ address, abi, functionName: 'total' })).toBe(19n)
  })

  it('reads fees: estimateFeesPerGas, getGasPrice, getFeeHistory', async () => {
    const block = await pub.getBlock()
    const baseFee = block.baseFeePerGas as bigint
    expect(baseFee).toBeGreaterThan(0n)
    const tip = BigInt(
      (await pub.request({ method: 'eth_maxPriorityFeePerGas' as never })) as unknown as string,
    )
    const fees = await pub.estimateFeesPerGas()
    expect(fees.maxPriorityFeePerGas).toBe(tip)
    // viem: 1.2 × the latest base fee (its default multiplier) + the tip
    expect(fees.maxFeePerGas).toBe((baseFee * 12n) / 10n + tip)
    expect(await pub.estimateMaxPriorityFeePerGas()).toBe(tip)
    expect(await pub.getGasPrice()).toBe(baseFee + tip)

    const history = await pub.getFeeHistory({ blockCount: 4, rewardPercentiles: [25, 75] })
    expect(history.oldestBlock).toBe(block.number - 3n)
    expect(history.baseFeePerGas).toHaveLength(5)
    expect(history.baseFeePerGas[3]).toBe(baseFee)
    expect(history.gasUsedRatio).toHaveLength(4)
    expect(history.reward).toHaveLength(4)
    // each block of this file holds one transaction: its tip at both percentiles
    for (const r of history.reward ?? []) expect(r[0]).toBe(r[1])
  })
})
