/**
 * eth_getLogs across the bloom index's sections, through ethers v6 and viem, on `ethwire --dev` in
 * process with the Solidity Counter (test/fixtures/solidity/Counter.sol).
 *
 * The index cuts the chain into sections of 4,096 blocks and builds one once its last block is 256
 * below the head, so section 0 (blocks 0..4095) is indexed from head 4351 on and everything above
 * it is scanned header by header. The chain: `devchain` seals 4,090 empty blocks (a second or so
 * per thousand), the node then deploys the contract and logs one `Added` per block on both sides of
 * block 4,096, seals empty blocks up to past 4,351 and logs two more there. The same queries —
 * the whole range, one crossing the section boundary, only the indexed part, only the tail, by
 * topic, by a topic or address that never logged — return exactly the logs the receipts hold,
 * before section 0 is built (all scanned) and after (indexed + tail).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Interface, type InterfaceAbi, JsonRpcProvider, Network } from 'ethers'
import { createPublicClient, createWalletClient, type Hex, http, parseEventLogs, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devchainCommand } from '../src/commands.js'
import { type Logger, silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { counterArtifact } from './helpers/solidity.js'
import { devChain } from './helpers/viem-chain.js'
import { within } from './helpers/wait.js'

const network = new Network('ethwire-dev', 1337n)
const { abi, bytecode } = counterArtifact()
const iface = new Interface(abi as unknown as InterfaceAbi)
const addedTopic = iface.getEvent('Added')?.topicHash as Hex
const section = 4096n
const root = mkdtempSync(join(tmpdir(), 'ethwire-logs-'))

/** A log as both clients report it, reduced to what identifies it. */
interface Found {
  block: bigint
  tx: string
  index: number
  total: bigint
}

let node: EthwireNode
let ethers: JsonRpcProvider
let viem: ReturnType<typeof makePublic>
let address: Hex
const expected: Found[] = []
const indexed: number[] = [] // sections reported by the index's log line

const makePublic = (url: string) =>
  createPublicClient({ chain: devChain, transport: http(url), pollingInterval: 50 })

const logger: Logger = {
  ...silentLogger,
  info: (message, context) => {
    if (message === 'Bloom index updated') indexed.push(Number(context?.sections))
  },
}

/** The queries, each as a filter and the logs of `expected` it must return. */
const queries = (head: bigint) => {
  const totals = expected.map((e) => e.total)
  const inSection0 = expected.filter((e) => e.block < section)
  const inTail = expected.filter((e) => e.block >= section)
  // two totals: one logged in section 0, one in the tail
  const picked = [inSection0[1]!.total, inTail.at(-1)!.total]
  return [
    { what: 'everything', from: 0n, to: head, want: expected },
    { what: 'across the boundary', from: section - 2n, to: section + 1n },
    { what: 'section 0 only', from: 0n, to: section - 1n, want: inSection0 },
    { what: 'the tail only', from: section, to: head, want: inTail },
    { what: 'by total (topic 2)', from: 0n, to: head, totals: picked },
    { what: 'a total never logged', from: 0n, to: head, totals: [10_000n + BigInt(totals.length)] },
    { what: 'another address', from: 0n, to: head, address: `0x${'22'.repeat(20)}` as Hex },
  ].map((q) => ({
    ...q,
    want:
      q.want ??
      (q.address || (q.totals && !q.totals.some((t) => totals.includes(t)))
        ? []
        : expected.filter(
            (e) =>
              e.block >= q.from && e.block <= q.to && (!q.totals || q.totals.includes(e.total)),
          )),
  }))
}

const viaEthers = async (q: ReturnType<typeof queries>[number]): Promise<Found[]> => {
  const logs = await ethers.getLogs({
    address: q.address ?? address,
    topics: [addedTopic, null, q.totals ? q.totals.map((t) => toHex(t, { size: 32 })) : null],
    fromBlock: q.from,
    toBlock: q.to,
  })
  return logs.map((l) => ({
    block: BigInt(l.blockNumber),
    tx: l.transactionHash,
    index: l.index,
    total: iface.parseLog(l)?.args.getValue('total') as bigint,
  }))
}

const viaViem = async (q: ReturnType<typeof queries>[number]): Promise<Found[]> => {
  const logs = await viem.getContractEvents({
    address: q.address ?? address,
    abi,
    eventName: 'Added',
    ...(q.totals ? { args: { total: q.totals } } : {}),
    fromBlock: q.from,
    toBlock: q.to,
  })
  return logs.map((l) => ({
    block: l.blockNumber,
    tx: l.transactionHash,
    index: l.logIndex,
    total: (l as unknown as { args: { total: bigint } }).args.total,
  }))
}

const checkAll = async (head: bigint) => {
  for (const q of queries(head)) {
    expect({ what: q.what, logs: await viaEthers(q) }).toEqual({ what: q.what, logs: q.want })
    expect({ what: q.what, logs: await viaViem(q) }).toEqual({ what: q.what, logs: q.want })
  }
}

beforeAll(async () => {
  const datadir = join(root, 'dev')
  // 4,090 empty blocks one second apart, ending now
  await devchainCommand({ datadir, fakePow: false, log: silentLogger, out: () => {} }, 4090)
  node = createNode({
    datadir,
    dev: { periodSeconds: 0 },
    http: { host: '127.0.0.1', port: 0 },
    port: 0,
    logger,
    logIntervalMs: 0,
  })
  await node.start()
  ethers = new JsonRpcProvider(node.rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 })
  viem = makePublic(node.rpcUrl as string)
}, 120_000)

afterAll(async () => {
  ethers?.destroy()
  await node?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('eth_getLogs across bloom sections (ethers and viem)', () => {
  it('finds exactly the logged events, scanned and then through the built section', async () => {
    const key = readFileSync(join(root, 'dev', 'dev-signer-key'), 'utf8').trim()
    const account = privateKeyToAccount(`0x${key}`)
    const wallet = createWalletClient({ account, chain: devChain, transport: http(node.rpcUrl) })
    const receiptOf = (hash: Hex) =>
      viem.waitForTransactionReceipt({ hash, timeout: 20_000, pollingInterval: 50 })
    const deployed = await receiptOf(await wallet.deployContract({ abi, bytecode, args: [0n] }))
    address = deployed.contractAddress as Hex
    expect(deployed.blockNumber).toBe(4091n)
    // one add per block (period 0 seals each as it arrives) until two blocks past the boundary
    const add = async (amount: bigint) => {
      const r = await receiptOf(
        await wallet.writeContract({ address, abi, functionName: 'add', args: [amount] }),
      )
      const [ev] = parseEventLogs({ abi, logs: r.logs, eventName: 'Added' }) as unknown as {
        args: { total: bigint }
        logIndex: number
      }[]
      expected.push({
        block: r.blockNumber,
        tx: r.transactionHash,
        index: ev!.logIndex,
        total: ev!.args.total,
      })
      return r.blockNumber
    }
    let amount = 1n
    while ((await add(amount++)) < section + 1n) {}
    expect(expected.filter((e) => e.block < section).length).toBeGreaterThanOrEqual(3)
    expect(expected.filter((e) => e.block >= section)).toHaveLength(2)

    // all of it is the unindexed tail now: the scan answers
    expect(indexed).toEqual([])
    // (viem keeps a block number for its polling interval: ask the node each time)
    await checkAll(await viem.getBlockNumber({ cacheTime: 0 }))

    // past block 4,351 section 0 is due; the index builds it in the background on new heads
    while (node.chain.currentHeader().number < section + 256n + 8n) await node.sealBlock()
    await add(amount++)
    await add(amount++)
    await within(
      (async () => {
        while (!indexed.includes(1)) await new Promise((r) => setTimeout(r, 20))
      })(),
      30_000,
      'bloom section 0 built',
    )
    const head = await viem.getBlockNumber({ cacheTime: 0 })
    expect(expected.at(-1)?.block).toBe(head)
    expect(expected.filter((e) => e.block >= section)).toHaveLength(4)
    await checkAll(head)
    // a single block by hash, in the indexed section
    const first = expected[0]!
    const block = await viem.getBlock({ blockNumber: first.block })
    const byHash = await ethers.getLogs({ blockHash: block.hash, address })
    expect(byHash.map((l) => l.transactionHash)).toEqual([first.tx])
  }, 120_000)
})
