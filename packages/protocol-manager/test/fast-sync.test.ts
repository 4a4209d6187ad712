/**
 * Fast sync through the manager: the `stateSync` dep reaches the downloader, the chain's
 * fast-sync methods go through `toDownloaderChain`, the syncer asks for `fast` while our head is
 * at genesis and switches to `full` after the first successful sync (go-ethereum v1.8), and the
 * mode in progress shows in `syncing()`, `sync:start` and `syncMode`. The chains are in memory
 * (`@ethwire/downloader/testing`): a server over a built chain with receipts and a synthetic
 * state, a client over a `MemoryChain` whose fast sync stores the state in a `MemoryStateStore`.
 */
import {
  buildChain,
  MemoryChain,
  MemoryStateStore,
  memoryStateSync,
  type TestChain,
} from '@ethwire/downloader/testing'
import { type Block, bytesToHex } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createProtocolManager,
  nextSyncMode,
  type PmChain,
  type ProtocolManager,
  type ProtocolManagerDeps,
  type ProtocolManagerEvents,
  type ProtocolManagerOptions,
} from '../src/index.js'
import { connectManagers, recordingLogger, waitFor } from '../src/testing.js'

const hex = bytesToHex

/** A read-only chain serving everything of `data` (headers, bodies, receipts, state nodes). */
function servingChain(data: TestChain): PmChain {
  const byHash = new Map(data.blocks.map((b) => [hex(b.hash), b]))
  const receipts = new Map(data.blocks.map((b, i) => [hex(b.hash), data.receipts?.[i] ?? []]))
  const get = (h: Uint8Array) => byHash.get(hex(h))
  return {
    genesis: { hash: data.genesis.hash },
    currentHeader: () => data.head.header,
    getTd: async (h) => {
      const b = get(h)
      return b === undefined ? undefined : data.tds[Number(b.header.number)]
    },
    hasBlock: async (h) => get(h) !== undefined,
    getBlockByHash: async (h) => get(h),
    getHeaderByHash: async (h) => get(h)?.header,
    getHeader: async (h) => get(h)?.header,
    getHeaderByNumber: async (n) => data.blocks[Number(n)]?.header,
    getCanonicalHash: async (n) => data.blocks[Number(n)]?.hash,
    getBody: async (h) => get(h)?.body(),
    getReceipts: async (h) => receipts.get(hex(h)),
    getNodeData: async (h) => data.state?.nodes.get(hex(h)),
    insertChain: async () => 0,
  }
}

/** A `MemoryChain` as the manager drives it, fast-sync methods included. */
function clientChain(mem: MemoryChain, all: Map<string, Block>): PmChain {
  const known = (h: Uint8Array) => (mem.hasBlock(h) ? all.get(hex(h)) : undefined)
  return {
    genesis: { hash: mem.getBlockByNumber(0)!.hash },
    currentHeader: () => mem.head.header,
    currentFastHeader: () => mem.top.header,
    getTd: async (h) => mem.getTd(h),
    hasBlock: async (h) => mem.hasBlock(h),
    getBlockByHash: async (h) => known(h),
    getHeaderByHash: async (h) => known(h)?.header,
    getHeader: async (h) => known(h)?.header,
    getHeaderByNumber: async (n) => mem.getHeaderByNumber(n),
    getCanonicalHash: async (n) => mem.getHeaderByNumber(n)?.hash,
    getBody: async (h) => known(h)?.body(),
    getReceipts: async (h) => mem.getReceipts(h),
    insertChain: (blocks) => mem.insertChain(blocks),
    insertReceiptChain: (blocks, receipts) => mem.insertReceiptChain!(blocks, receipts),
    commitFastSyncHead: (hash, number) => mem.commitFastSyncHead!(hash, number),
  }
}

const managers: ProtocolManager[] = []
afterEach(async () => {
  for (const pm of managers.splice(0)) await pm.stop()
})

function manager(
  chain: PmChain,
  deps: Partial<ProtocolManagerDeps> = {},
  options: Partial<ProtocolManagerOptions> = {},
) {
  const log = recordingLogger(process.env.PM_TEST_LOG === '1')
  const pm = createProtocolManager(
    { chain, log, ...deps },
    {
      networkId: 1337n,
      forkConfig: { genesisHash: chain.genesis.hash, forksByBlock: [], forksByTime: [] },
      minSyncPeers: 1,
      syncIntervalMs: 3_600_000,
      // The skeleton polls for new headers while the pivot's state downloads: quickly, here.
      downloader: { fsHeaderContCheckMs: 20 },
      ...options,
    },
  )
  managers.push(pm)
  return Object.assign(pm, { log })
}

const data = buildChain({
  length: 200,
  seed: 5,
  txEvery: 3,
  receipts: true,
  state: { accounts: 300 },
})
const longer = buildChain({
  parent: data,
  length: 30,
  seed: 5,
  txEvery: 3,
  receipts: true,
  state: { accounts: 300 },
})
const all = new Map([...longer.blocks].map((b) => [hex(b.hash), b]))

function client(opts: { stateSync?: boolean; syncMode?: 'fast' | 'full'; local?: number } = {}) {
  const store = new MemoryStateStore()
  const factory = memoryStateSync(store)
  const mem = new MemoryChain(data.blocks.slice(0, (opts.local ?? 0) + 1), {
    hasState: (root) => store.complete(root),
  })
  const pm = manager(
    clientChain(mem, all),
    opts.stateSync === false ? {} : { stateSync: factory },
    opts.syncMode !== undefined ? { syncMode: opts.syncMode } : {},
  )
  return { pm, mem, store, factory }
}

describe('fast sync through the manager', () => {
  it('a fresh node syncs fast (stateSync reaches the downloader), then switches to full', async () => {
    const { pm, mem, factory } = client()
    expect(pm.syncMode).toBe('fast')
    const server = manager(servingChain(data), {}, { minSyncPeers: 100 })
    await server.start()
    await pm.start()
    const starts: ProtocolManagerEvents['sync:start'][] = []
    const done: ProtocolManagerEvents['sync:done'][] = []
    pm.on('sync:start', (e) => starts.push(e))
    pm.on('sync:done', (e) => done.push(e))
    const during: unknown[] = []
    pm.parts.downloader.on('stored', () => during.push(pm.syncing()))
    // eth/66: the last version with GetNodeData, which fast sync needs for the state.
    connectManagers(server, pm, { version: 66, nameA: 'server', nameB: 'client' })
    await waitFor(() => done.length === 1, 20_000, 'fast sync done')
    expect(starts).toMatchObject([{ peerId: 'server', ourHead: 0n, mode: 'fast' }])
    expect(done[0]!.result).toMatchObject({ mode: 'fast', pivot: 136n, highest: 200n })
    expect(mem.head.header.number).toBe(200n)
    expect(mem.commits).toEqual([136n]) // the pivot's state came through GetNodeData
    expect(factory.made.length).toBeGreaterThan(0)
    expect(mem.receiptInsertCalls.reduce((a, b) => a + b, 0)).toBe(136)
    // The mode in progress, while blocks were stored with their receipts.
    expect(during.length).toBeGreaterThan(0)
    expect(during[0]).toMatchObject({ mode: 'fast', highestBlock: 200n })
    expect(pm.syncing()).toBe(false)
    // After one successful fast sync: full for good.
    expect(pm.syncMode).toBe('full')
    expect(pm.log.entries.some((e) => e.message === 'fast sync complete, auto disabling')).toBe(
      true,
    )

    // A better peer arrives: synced in full (blocks executed, nothing stored without state).
    const better = manager(servingChain(longer), {}, { minSyncPeers: 100 })
    await better.start()
    connectManagers(better, pm, { version: 66, nameA: 'better', nameB: 'client' })
    await waitFor(() => done.length === 2, 20_000, 'full sync done')
    expect(starts[1]).toMatchObject({ peerId: 'better', ourHead: 200n, mode: 'full' })
    expect(done[1]!.result.mode).toBe('full')
    expect(mem.head.header.number).toBe(230n)
    expect(mem.commits).toEqual([136n])
    expect(pm.acceptTxs).toBe(true)
  })

  it('a node whose head is past genesis syncs in full; so does one without a stateSync', async () => {
    const behind = client({ local: 20 })
    expect(behind.pm.syncMode).toBe('full')
    expect(
      behind.pm.log.entries.some((e) => e.message === 'chain not empty, fast sync disabled'),
    ).toBe(true)
    const none = client({ stateSync: false })
    expect(none.pm.syncMode).toBe('full')
    const asked = client({ stateSync: false, syncMode: 'fast' })
    expect(asked.pm.syncMode).toBe('full')
    expect(asked.pm.log.entries.map((e) => e.level + ' ' + e.message)).toContain(
      'warn fast sync needs a stateSync and a chain with the fast-sync methods: syncing in full',
    )
    const forced = client({ syncMode: 'full' })
    expect(forced.pm.syncMode).toBe('full')

    // Synced from a server, the one past genesis stays full: blocks executed, no pivot.
    const server = manager(servingChain(data), {}, { minSyncPeers: 100 })
    await server.start()
    await behind.pm.start()
    const done: ProtocolManagerEvents['sync:done'][] = []
    behind.pm.on('sync:done', (e) => done.push(e))
    connectManagers(server, behind.pm, { version: 66 })
    await waitFor(() => done.length === 1, 20_000, 'synced')
    expect(done[0]!.result.mode).toBe('full')
    expect(behind.mem.commits).toEqual([])
    expect(behind.mem.head.header.number).toBe(200n)
  })

  it('fast asked, but no peer serves GetNodeData (eth/67+): the downloader runs full and fast is off after it', async () => {
    const { pm, mem } = client()
    const server = manager(servingChain(data), {}, { minSyncPeers: 100 })
    await server.start()
    await pm.start()
    const done: ProtocolManagerEvents['sync:done'][] = []
    pm.on('sync:done', (e) => done.push(e))
    connectManagers(server, pm, { version: 68 })
    await waitFor(() => done.length === 1, 20_000, 'synced')
    expect(done[0]!.result.mode).toBe('full')
    expect(mem.commits).toEqual([])
    expect(mem.head.header.number).toBe(200n)
    expect(pm.syncMode).toBe('full')
  })
})

describe('nextSyncMode (go-ethereum v1.8 synchronise)', () => {
  const base = {
    requested: 'fast' as const,
    fastCapable: true,
    fastDone: false,
    head: 0n,
    fastHead: 0n,
  }
  it('fast only when asked, possible and at genesis; again when rolled back below the pivot', () => {
    expect(nextSyncMode(base)).toBe('fast')
    expect(nextSyncMode({ ...base, requested: 'full' })).toBe('full')
    expect(nextSyncMode({ ...base, fastCapable: false })).toBe('full')
    expect(nextSyncMode({ ...base, head: 1n })).toBe('full')
    expect(nextSyncMode({ ...base, fastDone: true, head: 5n, fastHead: 5n })).toBe('full')
    // Head back at genesis with the fast head ahead: go-ethereum re-enables fast sync.
    expect(nextSyncMode({ ...base, fastDone: true, head: 0n, fastHead: 120n })).toBe('fast')
    expect(nextSyncMode({ ...base, fastDone: true, head: 0n, fastHead: 0n })).toBe('full')
  })
})
