/** Shared test fixtures: pre-merge faker chains on temporary LevelDB directories, and managers over them. */
import { buildEmptyBlock, type Chain, createFaker } from '@ethwire/chain'
import { tempChain } from '@ethwire/chain/testing'
import type { ForkConfig, LocalStatus } from '@ethwire/handshake'
import {
  Block,
  BlockHeader,
  bytesToHex,
  type EthMessage,
  type ReceiptData,
  receiptsRoot,
  type Transaction,
  transactionsRoot,
} from '@ethwire/rlp-wire'
import { signTx, testAccount } from '@ethwire/txpool/testing'
import { afterEach } from 'vitest'
import {
  createProtocolManager,
  type ProtocolManager,
  type ProtocolManagerDeps,
  type ProtocolManagerOptions,
} from '../src/index.js'
import { type RemotePeer, recordingLogger } from '../src/testing.js'

/** A proof-of-work style genesis (no terminal TD), so every block adds its difficulty to the TD. */
export function powGenesis() {
  return {
    config: {
      chainId: 1337,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
    },
    gasLimit: '0x1c9c380',
    difficulty: '0x20000',
    alloc: { '0x00000000000000000000000000000000000000aa': { balance: '0x100' } },
  }
}

export interface TestChain {
  chain: Chain
  cleanup(): Promise<void>
}

const cleanups: (() => Promise<void>)[] = []

/** A fresh chain at genesis (faker engine: difficulty copied from the parent). */
export async function newChain(): Promise<Chain> {
  const t = await tempChain({ genesis: powGenesis(), engine: createFaker() })
  cleanups.push(t.cleanup)
  return t.chain
}

export async function cleanupChains(): Promise<void> {
  for (const c of cleanups.splice(0)) await c().catch(() => {})
}

let txNonce = 0n

/** A signed legacy transfer from test account `from` (nonces count up across the test run). */
export function makeTx(from = 0, nonce?: bigint, dataBytes = 0): Transaction {
  return signTx(
    {
      type: 0,
      chainId: 1337n,
      nonce: nonce ?? txNonce++,
      gasPrice: 1_000_000_000n,
      gasLimit: 21_000n + 16n * BigInt(dataBytes),
      to: new Uint8Array(20).fill(0xbb),
      value: 1n,
      data: new Uint8Array(dataBytes).fill(1),
    },
    testAccount(from).key,
  )
}

/**
 * Builds `n` blocks on top of `chain`'s head (not inserted). `salt` varies the timestamps (to
 * fork); every `txEvery`-th block carries one signed transaction (0: none).
 */
export async function buildBlocks(
  chain: Chain,
  n: number,
  opts: { salt?: bigint; txEvery?: number; parent?: BlockHeader } = {},
): Promise<Block[]> {
  const out: Block[] = []
  let parent = opts.parent ?? chain.currentHeader()
  for (let i = 0; i < n; i++) {
    let block = await buildEmptyBlock(chain, parent, parent.time + 10n + (opts.salt ?? 0n))
    if (opts.txEvery && (i + 1) % opts.txEvery === 0) {
      const txs = [makeTx(1)]
      const header = BlockHeader.fromData({
        ...block.header.toData(),
        txRoot: transactionsRoot(txs),
        gasUsed: 21_000n,
      })
      block = new Block(header, { transactions: txs, uncles: [] })
    }
    out.push(block)
    parent = block.header
  }
  return out
}

/** Extends the chain by `n` blocks in one insert; returns them. */
export async function extend(
  chain: Chain,
  n: number,
  opts: { salt?: bigint; txEvery?: number } = {},
): Promise<Block[]> {
  const blocks = await buildBlocks(chain, n, opts)
  if (blocks.length > 0) await chain.insertChain(blocks)
  return blocks
}

/** The Status a test-played peer on `chain` sends. */
export async function localStatusOf(chain: Chain): Promise<LocalStatus> {
  const head = chain.currentHeader()
  return {
    networkId: 1337n,
    genesisHash: chain.genesis.hash,
    head: { hash: head.hash, number: head.number, time: head.time },
    td: (await chain.getTd(head.hash)) ?? 0n,
    forks: forkConfig(chain),
  }
}

export function forkConfig(chain: Chain): ForkConfig {
  return { genesisHash: chain.genesis.hash, forksByBlock: [], forksByTime: [] }
}

const managers: ProtocolManager[] = []

export function newManager(
  chain: Chain,
  deps: Partial<ProtocolManagerDeps> = {},
  options: Partial<ProtocolManagerOptions> = {},
): ProtocolManager & { log: ReturnType<typeof recordingLogger> } {
  const log = recordingLogger(process.env.PM_TEST_LOG === '1')
  const pm = createProtocolManager(
    { chain, log, ...deps },
    { networkId: 1337n, forkConfig: forkConfig(chain), minSyncPeers: 1, ...options },
  )
  managers.push(pm)
  return Object.assign(pm, { log })
}

export async function stopManagers(): Promise<void> {
  for (const pm of managers.splice(0)) await pm.stop()
}

/** Registers an afterEach that stops the managers `newManager` made and removes the chains. */
export function stopAllAfterEach(): void {
  afterEach(async () => {
    await stopManagers()
    await cleanupChains()
  })
}

/** What arrives at `r` within `ms` (real time). */
export async function drain(r: RemotePeer, ms = 150): Promise<EthMessage[]> {
  const out: EthMessage[] = []
  const end = Date.now() + ms
  for (;;) {
    const left = end - Date.now()
    if (left <= 0) return out
    try {
      out.push(await r.read(left))
    } catch {
      return out
    }
  }
}

/**
 * A chain whose blocks carry `perBlock` synthetic receipts each (logs of `logBytes` data), with
 * headers committing to them (receipts root) and a gas used that makes them plausible, served
 * through a wrapper's `getReceipts` (the chain stores receipts only when it executes). The
 * blocks are inserted into `chain`; returns the serving wrapper, the blocks and their receipts.
 */
export async function receiptChain(
  chain: Chain,
  n: number,
  opts: { perBlock: number; logBytes: number; gasPerTx?: bigint },
): Promise<{ serving: Chain; blocks: Block[]; receipts: Map<string, ReceiptData[]> }> {
  const gasPerTx = opts.gasPerTx ?? 100_000n
  const receipts = new Map<string, ReceiptData[]>()
  const blocks: Block[] = []
  let parent = chain.currentHeader()
  for (let i = 0; i < n; i++) {
    const rs: ReceiptData[] = Array.from({ length: opts.perBlock }, (_, j) => ({
      type: 0 as const,
      postStateOrStatus: new Uint8Array([1]),
      cumulativeGasUsed: gasPerTx * BigInt(j + 1),
      logs: [
        {
          address: new Uint8Array(20).fill(j % 256),
          topics: [new Uint8Array(32).fill(i % 256)],
          data: new Uint8Array(opts.logBytes).fill((i + j) % 256),
        },
      ],
    }))
    const base = await buildEmptyBlock(chain, parent, parent.time + 10n)
    const header = BlockHeader.fromData({
      ...base.header.toData(),
      gasUsed: gasPerTx * BigInt(opts.perBlock),
      receiptRoot: receiptsRoot(rs),
    })
    const block = new Block(header, { transactions: [], uncles: [] })
    receipts.set(bytesToHex(block.hash), rs)
    blocks.push(block)
    parent = header
  }
  await chain.insertChain(blocks)
  const serving = Object.create(chain, {
    getReceipts: {
      value: async (hash: Uint8Array) => receipts.get(bytesToHex(hash)) ?? chain.getReceipts(hash),
    },
  }) as Chain
  return { serving, blocks, receipts }
}
