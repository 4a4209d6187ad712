/**
 * A header-only preset chain is filled by fast sync: node A holds a sepolia chain with its real
 * genesis state (go-ethereum's sepolia alloc, test/fixtures/sepolia-alloc.json) and 80 built blocks;
 * node B starts with `--sepolia --syncmode fast` (header-only genesis: no state at all), peers with A
 * over RLPx on eth/66 (GetNodeData is eth/63–66 only), stores the blocks with their receipts,
 * downloads the pivot's state, executes the rest, and then answers state reads. In process, on
 * 127.0.0.1; every wait bounded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { calcBaseFee, type GenesisAccount, networks } from '@ethwire/chain'
import {
  asList,
  Block,
  BlockHeader,
  bytesToBigInt,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  hexToBytes,
  type RlpItem,
  rlpDecode,
} from '@ethwire/rlp-wire'
import { afterAll, describe, expect, it } from 'vitest'
import { openExecutingChain } from '../src/datadir.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode, type NodeConfig } from '../src/node.js'
import { rpcCall } from '../src/testing.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-preset-fast-'))
const running: EthwireNode[] = []
afterAll(async () => {
  for (const n of running.splice(0).reverse()) await n.stop()
  rmSync(root, { recursive: true, force: true })
})

/** go-ethereum's decodePrealloc: [[addr as uint, balance, [nonce, code, [[slot, value]…]]?]…]. */
function decodePrealloc(hex: string): Record<string, GenesisAccount> {
  const out: Record<string, GenesisAccount> = {}
  for (const acc of asList(rlpDecode(hexToBytes(hex)), 'alloc')) {
    const f = acc as RlpItem[]
    const addr = bytesToBigInt(f[0] as Uint8Array)
    const a: GenesisAccount = { balance: `0x${bytesToBigInt(f[1] as Uint8Array).toString(16)}` }
    if (f[2] !== undefined) {
      const [nonce, code, slots] = f[2] as [Uint8Array, Uint8Array, Uint8Array[][]]
      a.nonce = `0x${bytesToBigInt(nonce).toString(16)}`
      if (code.length > 0) a.code = bytesToHex(code)
      a.storage = Object.fromEntries(slots.map(([k, v]) => [bytesToHex(k!), bytesToHex(v!)]))
    }
    out[`0x${addr.toString(16).padStart(40, '0')}`] = a
  }
  return out
}

async function waitFor(
  what: string,
  f: () => boolean | Promise<boolean>,
  timeoutMs: number,
  state: () => unknown = () => '',
) {
  const deadline = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(state(), (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      )
    await new Promise((r) => setTimeout(r, 200))
  }
}

const BLOCKS = 80

/** A sepolia datadir with the genesis state and `BLOCKS` empty blocks built by the executor. */
async function buildSepoliaChain(datadir: string, alloc: Record<string, GenesisAccount>) {
  const genesis = { ...networks.sepolia.genesis, alloc }
  const { chain: c, executor } = await openExecutingChain(datadir, { genesis, fakePow: true })
  const reader = { config: c.config, getHeader: (h: Uint8Array, n: bigint) => c.getHeader(h, n) }
  try {
    for (let i = 0; i < BLOCKS; i++) {
      const parent = c.currentHeader()
      const number = parent.number + 1n
      // before the merge (sepolia's TTD is far away): the fake-PoW engine sets the difficulty,
      // so the total difficulty grows and an eth/66 peer sees A ahead
      const draft = await c.engine.prepare(
        reader,
        BlockHeader.fromData({
          parentHash: parent.hash,
          uncleHash: EMPTY_UNCLE_HASH,
          coinbase: new Uint8Array(20),
          stateRoot: parent.stateRoot,
          txRoot: EMPTY_TRIE_ROOT,
          receiptRoot: EMPTY_TRIE_ROOT,
          bloom: new Uint8Array(256),
          difficulty: 0n,
          number,
          gasLimit: parent.gasLimit,
          gasUsed: 0n,
          time: parent.time + 12n,
          extra: new Uint8Array(0),
          mixDigest: new Uint8Array(32),
          nonce: new Uint8Array(8),
          baseFee: calcBaseFee(c.config, parent),
        }),
        parent,
      )
      const built = await executor.buildBlock({
        parent,
        header: {
          coinbase: Uint8Array.of(...new Uint8Array(19), i + 1), // rewards change the state
          time: draft.time,
          gasLimit: draft.gasLimit,
          difficulty: draft.difficulty,
          mixDigest: draft.mixDigest,
          nonce: draft.nonce,
          baseFee: draft.baseFee,
        },
        transactions: [],
      })
      const sealed = await c.engine.seal(reader, built.block.header)
      await c.insertChain([new Block(sealed, built.block.body())])
    }
    return c.currentHeader()
  } finally {
    await c.close()
  }
}

const base = (datadir: string): NodeConfig => ({
  datadir,
  network: 'sepolia',
  port: 0,
  rlpxPort: 0,
  listenHost: '127.0.0.1',
  http: { host: '127.0.0.1', port: 0 },
  discovery: false,
  bootnodes: [],
  dnsTrees: [],
  ethVersions: [66],
  minSyncPeers: 1,
  logger: silentLogger,
  logIntervalMs: 0,
})

describe('a header-only preset chain filled by fast sync', () => {
  it('--sepolia --syncmode fast downloads blocks, receipts and a state, then executes', async () => {
    const allocs = JSON.parse(
      readFileSync(join(import.meta.dirname, 'fixtures', 'sepolia-alloc.json'), 'utf8'),
    ) as { sepolia: string }
    const alloc = decodePrealloc(allocs.sepolia)
    const head = await buildSepoliaChain(join(root, 'a'), alloc)
    expect(head.number).toBe(BigInt(BLOCKS))

    const a = createNode(base(join(root, 'a')))
    await a.start()
    running.push(a)
    expect(bytesToHex(a.chain.genesis.hash)).toBe(networks.sepolia.genesisHash)
    expect(a.chain.headStateMissing).toBe(false)

    const lines: string[] = []
    const keep = (lvl: string) => (m: string, ctx?: unknown) =>
      lines.push(
        `${lvl} ${m} ${JSON.stringify(ctx, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      )
    const logger = {
      ...silentLogger,
      debug: keep('D'),
      info: keep('I'),
      warn: keep('W'),
      error: keep('E'),
    }
    const b = createNode({ ...base(join(root, 'b')), syncMode: 'fast', logger })
    await b.start()
    running.push(b)
    expect(b.chain.headStateMissing).toBe(true)
    await b.addPeer(a.enode as string)
    await waitFor(
      'B at A head with state',
      () => b.chain.currentHeader().number === head.number && !b.chain.headStateMissing,
      60_000,
      () => ({
        head: b.chain.currentHeader().number,
        fast: b.chain.currentFastHeader().number,
        peers: b.pm.peerCount,
        log: lines.slice(-30),
      }),
    )
    expect(bytesToHex(b.chain.currentHeader().hash)).toBe(bytesToHex(head.hash))
    // it was a fast sync (a full one cannot execute block 1 without the genesis state)
    expect(lines.some((l) => /^I Sync done .*"mode":"fast"/.test(l))).toBe(true)
    expect(b.chain.currentFastHeader().number).toBe(head.number)
    // a funded alloc account: its balance read from the state B downloaded
    const [addr, acc] = Object.entries(alloc).find(([, x]) => BigInt(x.balance ?? 0) > 0n)!
    expect(
      BigInt((await rpcCall(b.rpcUrl as string, 'eth_getBalance', [addr, 'latest'])) as string),
    ).toBe(BigInt(acc.balance as string))
    // the genesis state itself stays absent on B (header-only)
    const err = await rpcCall(b.rpcUrl as string, 'eth_getBalance', [addr, '0x0']).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(String(err)).toMatch(/missing trie node/)

    // the same with full sync: the sync fails with ErrStateNotSynced, the node goes on
    const failures: string[] = []
    const c = createNode({ ...base(join(root, 'c')), logger })
    await c.start()
    running.push(c)
    const removed: string[] = []
    c.pm.on('peer:removed', (info) => removed.push(String(info.error ?? info.reason)))
    c.pm.on('sync:failed', ({ error }) => {
      failures.push(`${String(error)} ${String((error as { cause?: unknown }).cause)}`)
    })
    await c.addPeer(a.enode as string)
    await waitFor(
      'a failed full sync',
      () => failures.length > 0,
      60_000,
      () => ({
        peers: c.pm.peerCount,
        log: lines.slice(-10),
      }),
    )
    expect(failures[0]).toMatch(/ErrStateNotSynced: cannot execute blocks.*--syncmode fast/)
    // our missing state is not the peer's fault: the downloader blames nobody, A stays
    expect(failures[0]).toMatch(/^DownloaderError: ErrLocalChain/)
    expect(removed).toEqual([])
    expect(c.pm.peerCount).toBe(1)
    expect(c.running).toBe(true)
    expect(c.chain.currentHeader().number).toBe(0n)
    expect(c.chain.headStateMissing).toBe(true)
    expect(await rpcCall(c.rpcUrl as string, 'eth_blockNumber')).toBe('0x0')
  }, 120_000)
})
