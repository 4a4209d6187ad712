/**
 * Fuzzing the handlers through the manager: per version, seeded sessions of a test-played peer
 * sending random valid messages of every code the version has (and codes it does not have), and
 * mutated encodings of them (bit flips, cuts, junk, wrong shapes, random codes). After every
 * message a probe (GetBlockHeaders) tells whether the peer is still served. Asserts:
 *
 * - no throw escapes: `handle()` resolves, no "peer handler failed" / "peer task failed" (an
 *   untyped error reaching the read loop), no unhandled rejection (vitest fails on one);
 * - bad input (a code the version lacks, a payload that does not decode) drops the peer, and
 *   every drop carries a typed `ProtocolError` code (`ErrBadPeer` with the cause's code);
 * - memory stays bounded: nothing keyed by a fuzz peer is left after it goes (peer set,
 *   downloader, txsync, both fetchers' per-peer state, the good peer's requests);
 * - the manager still serves a good peer, and a new one, afterwards.
 *
 * `FUZZ_RUNS` sessions per version (default 2, so CI stays fast), `FUZZ_SEED` (default 1).
 * A NewBlock whose body does not match its header is tested on its own at the end.
 */
import type { Chain } from '@ethwire/chain'
import { FakeClock } from '@ethwire/interface/testing'
import {
  Block,
  decodeMessage,
  encodeMessage,
  MsgCode,
  type MsgName,
  rlpEncode,
  versionHasCode,
} from '@ethwire/rlp-wire'
import { genMessage, messageNames, Rand } from '@ethwire/rlp-wire/testing'
import { createTxPool, type TxPool } from '@ethwire/txpool'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProtocolErrorCode, ProtocolManagerEvents } from '../src/index.js'
import { attachRemote, type RemotePeer, waitFor } from '../src/testing.js'
import {
  buildBlocks,
  cleanupChains,
  extend,
  localStatusOf,
  newChain,
  newManager,
  stopManagers,
} from './helpers.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 2)
const SEED = Number(process.env.FUZZ_SEED ?? 1)
const MESSAGES_PER_SESSION = 16
const VERSIONS = [62, 63, 66, 67, 68, 69, 70]

const typedCodes = new Set<ProtocolErrorCode>([
  'ErrMsgTooLarge',
  'ErrInvalidMsgCode',
  'ErrExtraStatusMsg',
  'ErrDecode',
  'ErrBlockAnnounceForbidden',
  'ErrInvalidNewBlock',
  'ErrBadPeer',
  'ErrInvalidReceipts',
  'ErrDaoFork',
])

const pools: TxPool[] = []
afterEach(async () => {
  await stopManagers()
  for (const p of pools.splice(0)) await p.stop()
  await cleanupChains()
})

/** Every message name of any version, for codes the fuzzed version may not have. */
const allNames = Object.keys(MsgCode) as MsgName[]

function mutate(r: Rand, payload: Uint8Array): Uint8Array {
  switch (r.int(5)) {
    case 0: {
      if (payload.length === 0) return Uint8Array.of(r.int(256))
      const out = payload.slice()
      const i = r.int(out.length)
      out[i] = out[i]! ^ (1 << r.int(8))
      return out
    }
    case 1:
      return payload.slice(0, r.int(Math.max(1, payload.length)))
    case 2: {
      const out = new Uint8Array(payload.length + 1 + r.int(4))
      out.set(payload)
      out.set(r.bytes(out.length - payload.length), payload.length)
      return out
    }
    case 3:
      return r.bytes(r.int(64))
    default:
      return rlpEncode([payload, r.bytes(r.int(8))]) // a valid RLP list of the wrong shape
  }
}

/** One fuzz message: code, payload, and what it is. */
function nextMessage(
  r: Rand,
  version: number,
): { code: number; payload: Uint8Array; what: string } {
  const names = messageNames(version)
  // A code of another version (or none at all) now and then.
  if (r.int(10) === 0) {
    const name = r.pick(allNames)
    if (!versionHasCode(version, MsgCode[name]))
      return { code: MsgCode[name], payload: rlpEncode([]), what: `${name} (absent)` }
    return { code: 0x11 + r.int(0x10), payload: rlpEncode([]), what: 'unknown code' }
  }
  // Status always ends a session (a second Status): pick it less often, so sessions go on.
  let name = r.pick(names)
  if (name === 'Status' && r.int(4) !== 0) name = r.pick(names)
  const encoded = encodeMessage(version, genMessage(r, version, name))
  // Three in four valid (so sessions get deep into the handlers), one in four mutated.
  if (r.int(4) !== 0) return { ...encoded, what: name }
  return { code: encoded.code, payload: mutate(r, encoded.payload), what: `${name} (mutated)` }
}

function decodes(version: number, code: number, payload: Uint8Array): boolean {
  try {
    decodeMessage(version, { code, payload })
    return true
  } catch {
    return false
  }
}

/** Sends a probe and waits for its answer (true) or for the peer to be gone (false). */
async function probe(r: RemotePeer, version: number, n: number): Promise<boolean> {
  const requestId = 1_000_000n + BigInt(n)
  const number = BigInt(1 + (n % 19))
  const sent = await r
    .send({
      name: 'GetBlockHeaders',
      ...(version >= 66 ? { requestId } : {}),
      request: { origin: { number }, amount: 1n, skip: 0n, reverse: false },
    })
    .then(
      () => true,
      () => false,
    )
  if (!sent) return (await Promise.race([r.done.then(() => 'gone'), sleep(2_000)])) !== 'gone'
  const answered = (async () => {
    for (;;) {
      const m = await r.readUntil('BlockHeaders', 5_000)
      if (version >= 66 ? m.requestId === requestId : m.headers[0]?.number === number) return true
    }
  })().catch(() => false)
  return Promise.race([answered, r.done.then(() => false)])
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms))

async function fuzzVersion(version: number) {
  const chain = await newChain()
  await extend(chain, 20, { txEvery: 4 })
  const pool = createTxPool({}, { chainId: 1337n })
  await pool.start()
  pools.push(pool)
  const clock = new FakeClock()
  const pm = newManager(chain, { txPool: pool, clock }, { minSyncPeers: 100, acceptTxs: true })
  await pm.start()
  const removed: ProtocolManagerEvents['peer:removed'][] = []
  pm.on('peer:removed', (e) => removed.push(e))
  const local = await localStatusOf(chain)
  const good = await attachRemote(pm, { version, local, id: 'good' })
  const r = new Rand(SEED * 1_000 + version)
  let probes = 0
  let badInputs = 0
  let newBlocks = 0
  for (let s = 0; s < RUNS; s++) {
    const id = `fuzz-${version}-${s}`
    const peer = await attachRemote(pm, { version, local, id })
    let alive = true
    for (let k = 0; k < MESSAGES_PER_SESSION && alive; k++) {
      const m = nextMessage(r, version)
      if (m.code === MsgCode.NewBlock) newBlocks++
      const bad = !versionHasCode(version, m.code) || !decodes(version, m.code, m.payload)
      await peer.sendRaw(m.code, m.payload).catch(() => {})
      alive = await probe(peer, version, probes++)
      if (bad) {
        badInputs++
        // Bad input always drops the peer (nothing it sent later was served).
        expect(alive, `${id} #${k}: ${m.what} should drop the peer`).toBe(false)
      }
    }
    if (alive) await peer.close()
    await peer.done
    const mine = removed.filter((e) => e.id === id)
    expect(mine.length, id).toBe(1)
    const drop = mine[0]!
    if (drop.error !== undefined) {
      expect(typedCodes.has(drop.error as ProtocolErrorCode), `${id}: ${drop.error}`).toBe(true)
      if (drop.error === 'ErrBadPeer') expect(drop.cause, id).toBeDefined()
    }
  }
  // No untyped error reached the read loop, nothing escaped a handler.
  const bugs = pm.log.entries.filter(
    (e) => e.message === 'peer handler failed' || e.message === 'peer task failed',
  )
  expect(bugs).toEqual([])
  // Bounded: nothing of the fuzz peers is left.
  await waitFor(() => pm.peerCount === 1, 5_000, 'only the good peer left')
  expect(pm.parts.downloader.peerIds()).toEqual(['good'])
  expect(pm.parts.txSync.peerCount).toBe(1)
  const bf = pm.parts.blockFetcher.stats()
  expect(bf.announced + bf.fetching + bf.fetched + bf.completing).toBe(0)
  expect(bf.queued + bf.importing).toBeLessThanOrEqual(newBlocks)
  const tf = pm.parts.txFetcher.stats()
  expect(tf).toMatchObject({ waiting: 0, queued: 0, fetching: 0, requests: 0 })
  expect(pm.parts.peers.get('good')!.pendingRequests).toBe(0)
  // Still serving the good peer, and a new one.
  expect(await probe(good, version, probes++)).toBe(true)
  await good.send({
    name: 'GetBlockBodies',
    requestId: 7n,
    hashes: [(await chain.getCanonicalHash(4n))!],
  })
  expect((await good.readUntil('BlockBodies')).bodies.length).toBe(1)
  const fresh = await attachRemote(pm, { version, local, id: 'fresh' })
  expect(await probe(fresh, version, probes++)).toBe(true)
  if (process.env.FUZZ_VERBOSE === '1') {
    const byCode = new Map<string, number>()
    for (const e of removed) {
      const k = `${e.error ?? 'closed'}${e.cause ? `/${e.cause}` : ''}`
      byCode.set(k, (byCode.get(k) ?? 0) + 1)
    }
    console.log(
      `eth/${version}: ${probes} probes, ${badInputs} bad inputs`,
      Object.fromEntries(byCode),
    )
  }
  return { badInputs, drops: removed.length }
}

describe(`fuzzing the handlers (FUZZ_RUNS=${RUNS}, FUZZ_SEED=${SEED})`, () => {
  const totals = { badInputs: 0 }
  for (const version of VERSIONS) {
    it(`eth/${version}`, { timeout: 30_000 + RUNS * 10_000 }, async () => {
      const { badInputs } = await fuzzVersion(version)
      totals.badInputs += badInputs
    })
  }
  it('the fuzzer did send bad input', () => {
    expect(totals.badInputs).toBeGreaterThan(0)
  })
})

describe('a NewBlock whose body does not match its header', () => {
  let chain: Chain
  const cases: [string, (b: Block) => Block][] = [
    ['a transaction missing', (b) => new Block(b.header, { ...b.body(), transactions: [] })],
    ['an extra uncle', (b) => new Block(b.header, { ...b.body(), uncles: [b.header] })],
  ]
  for (const [name, spoil] of cases) {
    it(`${name}: dropped (ErrInvalidNewBlock) before it counts: no head update, no sync, not queued`, async () => {
      chain = await newChain()
      await extend(chain, 10)
      const pm = newManager(chain, {}, { minSyncPeers: 100 })
      await pm.start()
      const removed: ProtocolManagerEvents['peer:removed'][] = []
      const starts: unknown[] = []
      pm.on('peer:removed', (e) => removed.push(e))
      pm.on('sync:start', (e) => starts.push(e))
      const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
      const [good] = await buildBlocks(chain, 1, { txEvery: 1 })
      expect(good!.transactions.length).toBe(1)
      const bad = spoil(good!)
      const td = (await chain.getTd(chain.currentHeader().hash))! + 10n ** 6n
      await r.send({ name: 'NewBlock', block: bad, td })
      await r.done
      expect(removed).toMatchObject([
        { error: 'ErrInvalidNewBlock', cause: 'ErrInvalidValue', reason: 2 },
      ])
      expect(starts).toEqual([])
      expect(pm.parts.blockFetcher.state(good!.hash)).toBeUndefined()
      expect(chain.currentHeader().number).toBe(10n)
    })
  }
})
