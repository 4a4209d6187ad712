/**
 * ethers v6 against `ethwire --dev` in process (createNode, dev period 0: a block whenever a
 * transaction arrives), HTTP and WebSocket JSON-RPC, with the Solidity contract of
 * test/fixtures/solidity/Counter.sol (committed solc artifact, see test/helpers/solidity.ts):
 * a Wallet from the dev key deploys it (ContractFactory), views are called, `add` is sent and its
 * receipt waited for, its event parsed from the receipt and found again with queryFilter and
 * getLogs, `contract.on` hears it live over a WebSocketProvider, gas is estimated, a `require`
 * reason and a custom error are decoded by ethers, getFeeData and eth_feeHistory read the fees;
 * the unlocked dev account and a keystore account (`account new`, `--unlock`, `--password`) send
 * through ethers' JsonRpcSigner (eth_sendTransaction).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Contract,
  ContractFactory,
  type EventLog,
  type InterfaceAbi,
  isCallException,
  JsonRpcProvider,
  type JsonRpcSigner,
  Network,
  parseEther,
  type TransactionReceipt,
  Wallet,
  WebSocketProvider,
} from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountCommand } from '../src/accounts/command.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { counterArtifact } from './helpers/solidity.js'
import { until, within } from './helpers/wait.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-ethers-'))
const artifact = counterArtifact()
const abi = artifact.abi as unknown as InterfaceAbi
const network = new Network('ethwire-dev', 1337n)
const pwFile = join(root, 'pw.txt')
let node: EthwireNode
let provider: JsonRpcProvider
let wallet: Wallet
let devSigner: JsonRpcSigner
let keystoreAddress: string
let counter: Contract

/** The receipt of a sent transaction (bounded wait). */
const mined = async (tx: {
  wait(): Promise<TransactionReceipt | null>
}): Promise<TransactionReceipt> => {
  const receipt = await within(tx.wait(), 20_000, 'receipt')
  if (!receipt) throw new Error('no receipt')
  return receipt
}

/** What a rejected promise rejected with (fails when it resolves). */
const rejection = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

beforeAll(async () => {
  // a keystore account made with `account new`, unlocked at start (HTTP is on, so that needs
  // --allow-insecure-unlock); the dev signer is imported into the same keystore
  writeFileSync(pwFile, 'correct horse\n')
  const keystore = join(root, 'ks', 'keystore')
  const out = await accountCommand(
    { datadir: join(root, 'ks'), lightkdf: true, password: pwFile },
    ['new'],
  )
  keystoreAddress = /0x[0-9a-fA-F]{40}/.exec(out)?.[0]?.toLowerCase() as string
  const datadir = join(root, 'dev')
  node = createNode({
    datadir,
    dev: { periodSeconds: 0 },
    http: { host: '127.0.0.1', port: 0 },
    ws: { host: '127.0.0.1', port: 0 },
    port: 0,
    logger: silentLogger,
    logIntervalMs: 0,
    accounts: {
      keystore,
      unlock: keystoreAddress,
      passwordFile: pwFile,
      allowInsecureUnlock: true,
    },
  })
  await node.start()
  // ethers batches calls (the server takes batches of up to 100). Its defaults suit a chain with
  // regular blocks, not one that seals only when a transaction arrives: it polls every 4 s, and it
  // answers identical requests made within 250 ms from one response (cacheTimeout), so a Wallet
  // sending twice in a row gets the same pending nonce, and tx.wait() can read a stale null
  // receipt and then wait for a next block that never comes (5 of 40 waits in a trial here).
  const options = { staticNetwork: network, pollingInterval: 50, cacheTimeout: -1 }
  provider = new JsonRpcProvider(node.rpcUrl, network, options)
  const devKey = readFileSync(join(datadir, 'dev-signer-key'), 'utf8').trim()
  wallet = new Wallet(`0x${devKey}`, provider)
  devSigner = await provider.getSigner(wallet.address)
})

afterAll(async () => {
  provider?.destroy()
  await node?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('ethers v6 against --dev', () => {
  it('deploys Counter from a Wallet and calls its views', async () => {
    const factory = new ContractFactory(abi, artifact.bytecode, wallet)
    const deployed = await factory.deploy(5n)
    await within(deployed.waitForDeployment(), 20_000, 'deployment')
    counter = deployed as unknown as Contract
    const address = await counter.getAddress()
    expect(await provider.getCode(address)).toBe(artifact.deployedBytecode)
    const receipt = await mined(deployed.deploymentTransaction()!)
    expect(receipt.status).toBe(1)
    expect(receipt.contractAddress).toBe(address)
    expect(await counter.getFunction('total')()).toBe(5n)
    expect(await counter.getFunction('MAX')()).toBe(1000n)
    expect(await counter.getFunction('totalTimes')(3n)).toBe(15n)
  })

  it('sends add, waits for the receipt, parses the event; queryFilter and getLogs find it', async () => {
    const before = await provider.getBlockNumber()
    const tx = await counter.getFunction('add')(7n)
    const receipt = await mined(tx)
    expect(receipt.status).toBe(1)
    expect(receipt.from).toBe(wallet.address)
    expect(receipt.blockNumber).toBeGreaterThan(before)
    // the receipt's logs, as ethers decodes them with the contract's interface
    const [log] = receipt.logs as EventLog[]
    expect(log?.eventName).toBe('Added')
    expect(log?.args.toObject()).toEqual({ by: wallet.address, total: 12n, amount: 7n })
    expect(await counter.getFunction('total')()).toBe(12n)

    // the same log found by a topic filter (sender) and by a raw getLogs
    const found = await counter.queryFilter(
      counter.filters.Added!(wallet.address),
      receipt.blockNumber,
      receipt.blockNumber,
    )
    expect(found).toHaveLength(1)
    expect((found[0] as EventLog).args.toObject()).toEqual({
      by: wallet.address,
      total: 12n,
      amount: 7n,
    })
    expect(found[0]?.transactionHash).toBe(receipt.hash)
    const raw = await provider.getLogs({
      address: await counter.getAddress(),
      fromBlock: 0,
      toBlock: 'latest',
    })
    expect(raw.map((l) => counter.interface.parseLog(l)?.args.getValue('amount'))).toEqual([7n])
    expect(raw[0]?.index).toBe(0)
    expect(raw[0]?.blockHash).toBe(receipt.blockHash)
    // a topic that was never logged matches nothing
    expect(
      await counter.queryFilter(counter.filters.Added!(`0x${'11'.repeat(20)}`), 0, 'latest'),
    ).toEqual([])
  })

  it('hears Added live over a WebSocketProvider (contract.on)', async () => {
    const ws = new WebSocketProvider(node.wsUrl as string, network, { staticNetwork: network })
    try {
      const live = counter.connect(ws) as Contract
      const heard: { by: string; total: bigint; amount: bigint; block: number }[] = []
      const subs = node.rpc?.ws?.stats().subscriptions ?? 0
      await live.on('Added', (by: string, total: bigint, amount: bigint, ev: { log: EventLog }) => {
        heard.push({ by, total, amount, block: ev.log.blockNumber })
      })
      // ethers sends eth_subscribe in the background: wait until the server has it
      await until(
        () => (node.rpc?.ws?.stats().subscriptions ?? 0) > subs,
        10_000,
        'eth_subscribe logs',
      )
      const tx = await counter.getFunction('add')(3n)
      const receipt = await mined(tx)
      await until(() => heard.length > 0, 10_000, 'Added over WebSocket')
      expect(heard).toEqual([
        { by: wallet.address, total: 15n, amount: 3n, block: receipt.blockNumber },
      ])
      await live.removeAllListeners()
    } finally {
      await ws.destroy()
    }
  })

  it('estimates gas: enough for the transaction it estimates', async () => {
    const estimate = await counter.getFunction('add').estimateGas(4n)
    expect(estimate).toBeGreaterThan(21_000n)
    const tx = await counter.getFunction('add')(4n, { gasLimit: estimate })
    const receipt = await mined(tx)
    expect(receipt.status).toBe(1)
    expect(receipt.gasUsed).toBeLessThanOrEqual(estimate)
    // a plain transfer is exactly 21,000
    expect(
      await provider.estimateGas({ from: wallet.address, to: wallet.address, value: 1n }),
    ).toBe(21_000n)
  })

  it('decodes a require reason and a custom error', async () => {
    // the reason, from eth_estimateGas when sending (error 3 with the revert data)
    const sent = await rejection(counter.getFunction('add')(0n))
    expect(isCallException(sent)).toBe(true)
    if (!isCallException(sent)) return
    expect(sent.reason).toBe('amount is zero')
    expect(sent.revert).toEqual({
      signature: 'Error(string)',
      name: 'Error',
      args: ['amount is zero'],
    })
    // and from eth_call
    const called = await rejection(counter.getFunction('add').staticCall(0n))
    expect(isCallException(called) && called.reason).toBe('amount is zero')

    // TooLarge(uint256,uint256): ethers decodes it with the contract's interface
    const custom = await rejection(counter.getFunction('add').staticCall(5000n))
    expect(isCallException(custom)).toBe(true)
    if (!isCallException(custom)) return
    expect(custom.revert?.name).toBe('TooLarge')
    expect(custom.revert?.signature).toBe('TooLarge(uint256,uint256)')
    expect(custom.revert?.args).toEqual([5000n, 1000n])
    const parsed = counter.interface.parseError(custom.data as string)
    expect(parsed?.name).toBe('TooLarge')
    // and when sending: estimateGas fails with the same data
    const customSent = await rejection(counter.getFunction('add')(5000n))
    expect(isCallException(customSent)).toBe(true)
    if (!isCallException(customSent)) return
    expect(counter.interface.parseError(customSent.data as string)?.args.toArray()).toEqual([
      5000n,
      1000n,
    ])
    // nothing was mined for the failures
    expect(await counter.getFunction('total')()).toBe(19n)
  })

  it('reads fees: getFeeData and eth_feeHistory', async () => {
    const block = await provider.getBlock('latest')
    const baseFee = block?.baseFeePerGas as bigint
    expect(baseFee).toBeGreaterThan(0n)
    const fees = await provider.getFeeData()
    const tip = BigInt(await provider.send('eth_maxPriorityFeePerGas', []))
    const gasPrice = BigInt(await provider.send('eth_gasPrice', []))
    expect(fees.maxPriorityFeePerGas).toBe(tip)
    expect(fees.gasPrice).toBe(gasPrice)
    // ethers: maxFeePerGas = 2 × the latest base fee + the tip
    expect(fees.maxFeePerGas).toBe(2n * baseFee + tip)
    expect(gasPrice).toBeGreaterThanOrEqual(baseFee)

    const head = await provider.getBlockNumber()
    const history = (await provider.send('eth_feeHistory', ['0x4', 'latest', [25, 75]])) as {
      oldestBlock: string
      baseFeePerGas: string[]
      gasUsedRatio: number[]
      reward: string[][]
    }
    expect(Number(history.oldestBlock)).toBe(head - 3)
    // four blocks' base fees plus the next one's
    expect(history.baseFeePerGas).toHaveLength(5)
    expect(BigInt(history.baseFeePerGas[3] as string)).toBe(baseFee)
    expect(history.gasUsedRatio).toHaveLength(4)
    expect(history.reward).toHaveLength(4)
    for (const r of history.reward) expect(r).toHaveLength(2)
    // each block of the test holds one transaction: its tip at both percentiles
    for (const r of history.reward) expect(r[0]).toBe(r[1])
  })

  it('sends through JsonRpcSigner from the unlocked dev account (eth_sendTransaction)', async () => {
    expect(await provider.listAccounts().then((as) => as.map((a) => a.address))).toContain(
      wallet.address,
    )
    const viaNode = counter.connect(devSigner) as Contract
    const tx = await viaNode.getFunction('add')(1n)
    const receipt = await mined(tx)
    expect(receipt.status).toBe(1)
    expect(receipt.from).toBe(wallet.address)
    expect(await counter.getFunction('total')()).toBe(20n)
    // the node's reason comes back through the signer as well
    const refused = await rejection(viaNode.getFunction('add')(0n))
    expect(isCallException(refused) && refused.reason).toBe('amount is zero')
  })

  it('sends through JsonRpcSigner from a keystore account unlocked with --unlock / --password', async () => {
    const accounts = (await provider.send('eth_accounts', [])) as string[]
    expect(accounts).toContain(keystoreAddress)
    const fund = await devSigner.sendTransaction({ to: keystoreAddress, value: parseEther('2') })
    await mined(fund)
    const ks = await provider.getSigner(keystoreAddress)
    const to = `0x${'45'.repeat(20)}`
    const tx = await ks.sendTransaction({ to, value: parseEther('1') })
    const receipt = await mined(tx)
    expect(receipt.status).toBe(1)
    expect(receipt.from.toLowerCase()).toBe(keystoreAddress)
    expect(await provider.getBalance(to)).toBe(parseEther('1'))
    // and it calls the contract, its Added event naming it
    const c = counter.connect(ks) as Contract
    const r = await mined(await c.getFunction('add')(2n))
    expect((r.logs[0] as EventLog).args.getValue('by').toLowerCase()).toBe(keystoreAddress)
    expect(await ks.signMessage('hi').then((s) => s.length)).toBe(132)
  })
})
