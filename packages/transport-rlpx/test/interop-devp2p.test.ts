/**
 * Interop with an independent implementation, @ethereumjs/devp2p, over TCP on 127.0.0.1:
 * ethwire dials it and it dials ethwire, on each eth version both speak (62, 63, 66, 67, 68).
 * On every connection: Hello and eth Status complete on both sides; GetBlockHeaders (by number,
 * by hash, with skip, reverse), GetBlockBodies and GetReceipts go both ways and are checked
 * against the test chain; a Ping is answered each way; a Disconnect is seen by both with the
 * reason that was sent.
 */
import { readFileSync } from 'node:fs'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { DISCONNECT_REASON, ETH, type Peer, RLPx } from '@ethereumjs/devp2p'
import { decodeStatus, encodeStatus, type RlpItem, rlpDecode, rlpEncode } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { equalBytes, fromHex, toHex } from '../src/bytes.js'
import { publicKeyOf, randomSecretKey } from '../src/ecies.js'
import type { RlpxStream } from '../src/session.js'
import { createRlpxTransport, type RlpxTransport } from '../src/transport.js'
import { systemRandom } from '../src/types.js'
import { DisconnectReason, isWireError } from '../src/wire.js'
import { loadTestChain, receiptsFor, uintBytes } from './helpers/chain.js'
import {
  Eth,
  expectedNumbers,
  getHeadersRequest,
  type HeadersQuery,
  hashesRequest,
  respond,
  unwrap,
} from './helpers/responder.js'

const genesisJson = JSON.parse(
  readFileSync(new URL('./fixtures/ethtest-genesis.json', import.meta.url), 'utf8'),
)
const { genesisHash, blocks } = loadTestChain()
const head = blocks[blocks.length - 1]!
const common = createCommonFromGethGenesis(genesisJson, { chain: 'ethtest', genesisHash })
const networkId = common.chainId()
const td = uintBytes(0x20000) // any value: both sides only exchange it
/** EIP-2124 fork id of the ethtest chain past Prague (CRC32(genesis || 60 || 120)), per the vectors README. */
const forkId = [fromHex('377aaa78'), new Uint8Array(0)]

const versions = [62, 63, 66, 67, 68] as const
const capFor = (v: number) => ETH[`eth${v}` as 'eth68']

/** Our Status, encoded by @ethwire/rlp-wire (the codec the protocol layer uses). */
function ourStatus(version: number): Uint8Array {
  const base = { version, networkId, td: 0x20000n, head: head.hash, genesis: genesisHash }
  return encodeStatus(version >= 64 ? { ...base, forkId: { hash: forkId[0]!, next: 0n } } : base)
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(t))
}

/** Our side of one connection: answers requests, queues responses, captures Status. */
class OurPeer {
  private readonly responses: { code: number; tree: RlpItem }[] = []
  private readonly waiting: ((r: { code: number; tree: RlpItem }) => void)[] = []
  readonly status: Promise<RlpItem>
  readonly ended: Promise<unknown>
  private resolveStatus!: (s: RlpItem) => void

  constructor(readonly conn: RlpxStream) {
    this.status = new Promise((r) => {
      this.resolveStatus = r
    })
    this.ended = this.loop()
  }

  private async loop(): Promise<unknown> {
    for (;;) {
      let msg: Awaited<ReturnType<RlpxStream['readMsg']>>
      try {
        msg = await this.conn.readMsg()
      } catch (err) {
        return err
      }
      const tree = rlpDecode(msg.payload)
      if (msg.code === Eth.Status) {
        this.resolveStatus(tree)
        continue
      }
      const answer = respond(this.conn.version, msg.code, tree, blocks)
      if (answer) {
        await this.conn.writeMsg(answer.code, rlpEncode(answer.payload))
        continue
      }
      const r = { code: msg.code, tree }
      const w = this.waiting.shift()
      if (w) w(r)
      else this.responses.push(r)
    }
  }

  async request(code: number, tree: RlpItem): Promise<{ code: number; tree: RlpItem }> {
    const got = new Promise<{ code: number; tree: RlpItem }>((resolve) => {
      const r = this.responses.shift()
      if (r) resolve(r)
      else this.waiting.push(resolve)
    })
    await this.conn.writeMsg(code, rlpEncode(tree))
    return within(got, 5000, `response to code ${code}`)
  }
}

/** The devp2p side: answers requests from the same chain, queues responses. */
function jsPeer(peer: Peer, version: number) {
  const eth = peer.getProtocols()[0] as ETH
  const responses: { code: number; tree: RlpItem }[] = []
  const waiting: ((r: { code: number; tree: RlpItem }) => void)[] = []
  eth.events.on('message', (code: number, payload: unknown) => {
    if (code === Eth.Status) return // devp2p re-emits Status as a message too
    const tree = payload as RlpItem
    const answer = respond(version, code, tree, blocks)
    if (answer) {
      eth.sendMessage(answer.code as never, answer.payload as never)
      return
    }
    const w = waiting.shift()
    if (w) w({ code, tree })
    else responses.push({ code, tree })
  })
  const status = new Promise<unknown>((resolve) => eth.events.once('status', resolve))
  return {
    eth,
    status,
    request(code: number, tree: RlpItem) {
      const got = new Promise<{ code: number; tree: RlpItem }>((resolve) => {
        const r = responses.shift()
        if (r) resolve(r)
        else waiting.push(resolve)
      })
      eth.sendMessage(code as never, tree as never)
      return within(got, 5000, `devp2p response to code ${code}`)
    },
  }
}

type Requester = (code: number, tree: RlpItem) => Promise<{ code: number; tree: RlpItem }>

/** Runs the request suite through `request` and checks every answer against the chain. */
async function exerciseRequests(version: number, request: Requester): Promise<void> {
  const queries: HeadersQuery[] = [
    { origin: 1, amount: 3, skip: 0, reverse: false },
    { origin: 2, amount: 10, skip: 2, reverse: false },
    { origin: blocks[6]!.hash, amount: 3, skip: 1, reverse: true },
    { origin: 8, amount: 4, skip: 0, reverse: true },
  ]
  let id = 100
  for (const q of queries) {
    const reqId = id++
    const res = await request(Eth.GetBlockHeaders, getHeadersRequest(version, reqId, q))
    expect(res.code).toBe(Eth.BlockHeaders)
    const { id: gotId, inner } = unwrap(version, res.tree)
    if (version >= 66) expect(gotId).toBe(reqId)
    const want = expectedNumbers(blocks, q)
    expect(want.length).toBeGreaterThan(1)
    expect(
      inner.map(
        (hd) => blocks.findIndex((b) => equalBytes(rlpEncode(hd), rlpEncode(b.header))) + 1,
      ),
    ).toEqual(want)
  }
  const wanted = [blocks[1]!, blocks[4]!]
  const bodies = await request(
    Eth.GetBlockBodies,
    hashesRequest(
      version,
      id++,
      wanted.map((b) => b.hash),
    ),
  )
  expect(bodies.code).toBe(Eth.BlockBodies)
  expect(unwrap(version, bodies.tree).inner.map((b) => rlpEncode(b))).toEqual(
    wanted.map((b) => rlpEncode(b.body)),
  )
  if (version >= 63) {
    const rcpts = await request(
      Eth.GetReceipts,
      hashesRequest(
        version,
        id++,
        wanted.map((b) => b.hash),
      ),
    )
    expect(rcpts.code).toBe(Eth.Receipts)
    expect(unwrap(version, rcpts.tree).inner.map((r) => rlpEncode(r))).toEqual(
      wanted.map((b) => rlpEncode(receiptsFor(b))),
    )
  }
}

interface Harness {
  ours: RlpxTransport
  js: RLPx
  jsKey: Uint8Array
  jsPort: number
  inbound: RlpxStream[]
}

const running: Harness[] = []

async function setup(version: number): Promise<Harness> {
  const inbound: RlpxStream[] = []
  const ours = createRlpxTransport(
    {},
    {
      nodeKey: randomSecretKey(systemRandom),
      listen: { host: '127.0.0.1', port: 0 },
      clientId: 'ethwire/interop-test',
      ethVersions: [version],
      maxPeers: 5,
      handshakeTimeoutMs: 5000,
      onConnection: (c) => inbound.push(c),
    },
  )
  await ours.listen()
  const jsKey = randomSecretKey(systemRandom)
  const js = new RLPx(jsKey, {
    capabilities: [capFor(version)],
    common,
    maxPeers: 5,
    timeout: 5000,
    listenPort: null,
    dpt: null,
  })
  await new Promise<void>((resolve) => {
    js.events.once('listening', () => resolve())
    js.listen(0, '127.0.0.1')
  })
  const addr = (js as unknown as { _server: { address(): { port: number } } })._server.address()
  const h = { ours, js, jsKey, jsPort: addr.port, inbound }
  running.push(h)
  return h
}

afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.ours.stop()
    h.js.destroy()
  }
})

function jsPeerAdded(js: RLPx): Promise<Peer> {
  return within(
    new Promise((resolve) => js.events.once('peer:added', resolve)),
    5000,
    'devp2p peer:added',
  )
}

function jsPeerRemoved(js: RLPx): Promise<{ reason: number; disconnectWe: boolean | null }> {
  return within(
    new Promise((resolve) =>
      js.events.once('peer:removed', (_p: Peer, reason: number, disconnectWe: boolean | null) =>
        resolve({ reason, disconnectWe }),
      ),
    ),
    5000,
    'devp2p peer:removed',
  )
}

/** Everything after the connection exists, common to both dial directions. */
async function exercise(version: number, conn: RlpxStream, peer: Peer, ourId: string) {
  expect(toHex(peer.getId()!)).toBe(ourId) // devp2p's view of us
  expect(conn.version).toBe(version)
  expect(conn.transport).toBe('rlpx')
  expect(conn.session.snappy).toBe(true) // devp2p speaks p2p v5
  expect(conn.remoteId).toBe(toHex(peer.id)) // devp2p's own node id
  expect(conn.session.hello.capabilities).toContainEqual({ name: 'eth', version })
  const ourPeer = new OurPeer(conn)
  const js = jsPeer(peer, version)
  // Status both ways.
  js.eth.sendStatus({ td, bestHash: head.hash, genesisHash } as never)
  await conn.writeMsg(Eth.Status, ourStatus(version))
  // devp2p's Status, decoded with rlp-wire's strict codec
  const theirs = decodeStatus(
    version,
    rlpEncode(await within(ourPeer.status, 5000, 'devp2p Status')),
  )
  expect(theirs).toMatchObject({ version, networkId, head: head.hash, genesis: genesisHash })
  if (version >= 64) expect(theirs).toMatchObject({ forkId: { hash: forkId[0], next: 0n } })
  await within(js.status, 5000, 'devp2p accepting our Status') // devp2p checked version, network, genesis, fork id
  // Requests both ways.
  await exerciseRequests(version, (code, tree) => ourPeer.request(code, tree))
  await exerciseRequests(version, (code, tree) => js.request(code, tree))
  // Ping both ways.
  expect(await within(conn.session.ping(), 5000, 'Pong from devp2p')).toBeGreaterThanOrEqual(0)
  const pong = new Promise<void>((resolve) => {
    const orig = peer._handlePong.bind(peer)
    peer._handlePong = () => {
      orig()
      resolve()
    }
  })
  peer._sendPing()
  await within(pong, 5000, 'our Pong')
  return ourPeer
}

describe.each(versions)('eth/%d with @ethereumjs/devp2p', (version) => {
  it('ethwire dials devp2p; we disconnect and devp2p sees our reason', async () => {
    const h = await setup(version)
    const added = jsPeerAdded(h.js)
    const conn = await h.ours.dial(`enode://${toHex(publicKeyOf(h.jsKey))}@127.0.0.1:${h.jsPort}`)
    expect(h.inbound).toEqual([conn]) // onConnection saw the outbound connection too
    const peer = await added
    const ourPeer = await exercise(version, conn, peer, h.ours.nodeId)
    const removed = jsPeerRemoved(h.js)
    await conn.close(DisconnectReason.SubprotocolError)
    expect(await removed).toEqual({
      reason: DISCONNECT_REASON.SUBPROTOCOL_ERROR,
      disconnectWe: false,
    })
    expect(conn.closeInfo).toEqual({ reason: DisconnectReason.SubprotocolError, remote: false })
    expect(isWireError(await ourPeer.ended, 'ErrClosed')).toBe(true)
  })

  it('devp2p dials ethwire; devp2p disconnects and we see its reason', async () => {
    const h = await setup(version)
    const added = jsPeerAdded(h.js)
    const ourPort = Number(h.ours.enode.split(':').pop())
    await h.js.connect({ id: fromHex(h.ours.nodeId), address: '127.0.0.1', tcpPort: ourPort })
    const peer = await added
    await within(
      (async () => {
        while (h.inbound.length === 0) await new Promise((r) => setTimeout(r, 10))
      })(),
      5000,
      'our onConnection',
    )
    const conn = h.inbound[0]!
    const ourPeer = await exercise(version, conn, peer, h.ours.nodeId)
    peer.disconnect(DISCONNECT_REASON.USELESS_PEER)
    const err = await within(ourPeer.ended, 5000, 'our read loop to end')
    expect(isWireError(err, 'ErrClosed')).toBe(true)
    expect(err).toMatchObject({ reason: DisconnectReason.UselessPeer, remote: true })
    expect(conn.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
  })
})
