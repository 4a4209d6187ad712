/**
 * Network presets (`--mainnet`, `--sepolia`, `--holesky`, `--hoodi`): the flags resolve the preset
 * network id, bootnodes and DNS list; a node started with one opens the header-only preset genesis
 * (no genesis state is shipped: @ethwire/chain's header-only mode), reports the preset's values
 * over JSON-RPC, sends a Status with the preset genesis hash and the fork id of
 * shared/vectors/forkid.json; two nodes of one preset peer over RLPx on loopback, two of different
 * presets refuse each other. Everything on 127.0.0.1 with discovery off; every wait is bounded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type NetworkName, networks } from '@ethwire/chain'
import { randomPrivateKey } from '@ethwire/crypto'
import { bytesToHex, DisconnectReason, decodeStatus, MsgCode } from '@ethwire/rlp-wire'
import { createRlpxTransport } from '@ethwire/transport-rlpx'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeConfigFromFlags, parseArgs } from '../src/args.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { rpcCall, spawnCli } from '../src/testing.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-preset-'))
const running: EthwireNode[] = []
afterAll(async () => {
  for (const n of running.splice(0).reverse()) await n.stop()
  rmSync(root, { recursive: true, force: true })
})

// EIP-2124 vectors (a copy of shared/vectors/forkid.json): the fork id of a node at genesis
const forkVectors = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'forkid.json'), 'utf8'),
) as {
  networks: {
    network: string
    genesis_hash: string
    cases: { head: number; time: number; hash: string; next: number }[]
  }[]
}
const atGenesis = (name: NetworkName) => {
  const v = forkVectors.networks.find((n) => n.network === name)!
  const c = v.cases.find((x) => x.head === 0)!
  return { genesis: v.genesis_hash, hash: c.hash, next: BigInt(c.next) }
}

async function waitFor(what: string, f: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** `ethwire --<name> --nodiscover --http` on loopback with free ports, in this process. */
/** Every log line of the nodes this file starts (the debug level included). */
const lines: string[] = []
const keep = (lvl: string) => (m: string, ctx?: unknown) => {
  lines.push(
    `${lvl} ${m} ${JSON.stringify(ctx, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
  )
}
const logger = {
  ...silentLogger,
  debug: keep('D'),
  info: keep('I'),
  warn: keep('W'),
  error: keep('E'),
}

async function startPreset(name: NetworkName, dir: string, extra: string[] = []) {
  const flags = parseArgs([`--${name}`, '--nodiscover', '--http', '--datadir', dir, ...extra]).flags
  const node = createNode({
    ...nodeConfigFromFlags(flags),
    listenHost: '127.0.0.1',
    port: 0,
    rlpxPort: 0,
    http: { host: '127.0.0.1', port: 0 },
    logger,
    logIntervalMs: 0,
  })
  await node.start()
  running.push(node)
  return node
}

async function stopNode(node: EthwireNode) {
  await node.stop()
  running.splice(running.indexOf(node), 1)
}

/** Dials `enode` over RLPx and returns the first message, decoded as a Status. */
async function statusOf(enode: string) {
  const rlpx = createRlpxTransport({ nodeKey: randomPrivateKey(), clientId: 'preset-test' })
  const conn = await rlpx.dial(enode, { signal: AbortSignal.timeout(20_000) })
  try {
    const msg = await conn.readMsg()
    expect(msg.code).toBe(MsgCode.Status)
    return { version: conn.version, status: decodeStatus(conn.version, msg.payload) }
  } finally {
    await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
    await rlpx.close?.()
  }
}

describe('network presets', () => {
  it('--hoodi takes the preset network id, bootnodes and DNS list', () => {
    expect(() => parseArgs(['--hoodi', '--sepolia'])).toThrow(/same time/)
    const config = nodeConfigFromFlags(parseArgs(['--hoodi', '--datadir', join(root, 'h')]).flags)
    expect(config.network).toBe('hoodi')
    const node = createNode({ ...config, port: 0, bootnodes: [], logger: silentLogger })
    expect(node.config.dnsTrees).toEqual([...networks.hoodi.dnsTrees])
    expect(node.config.networkId).toBe(networks.hoodi.networkId)
    const withBoot = createNode({
      datadir: join(root, 'x'),
      network: 'hoodi',
      logger: silentLogger,
    })
    expect(withBoot.config.bootnodes).toEqual([...networks.hoodi.bootnodes])
  })

  for (const name of Object.keys(networks) as NetworkName[]) {
    it(`ethwire --${name} --nodiscover starts: RPC and the Status show the preset`, async () => {
      const p = networks[name]
      const want = atGenesis(name)
      expect(want.genesis).toBe(p.genesisHash)
      const node = await startPreset(name, join(root, name))
      try {
        expect(bytesToHex(node.chain.genesis.hash)).toBe(p.genesisHash)
        expect(node.chain.headerOnlyGenesis).toBe(true)
        expect(node.chain.headStateMissing).toBe(true)
        const url = node.rpcUrl as string
        expect(await rpcCall(url, 'eth_chainId')).toBe(`0x${p.networkId.toString(16)}`)
        expect(await rpcCall(url, 'net_version')).toBe(p.networkId.toString())
        const info = (await rpcCall(url, 'admin_nodeInfo')) as {
          protocols: { eth: { network: number; genesis: string; head: string } }
        }
        expect(info.protocols.eth.network).toBe(Number(p.networkId))
        expect(info.protocols.eth.genesis).toBe(p.genesisHash)
        expect(info.protocols.eth.head).toBe(p.genesisHash)
        expect(await rpcCall(url, 'eth_blockNumber')).toBe('0x0')
        // state reads: a clear JSON-RPC error, not a crash or a made-up zero
        const err = await rpcCall(url, 'eth_getBalance', [
          '0x0000000000000000000000000000000000000000',
          'latest',
        ]).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(String(err)).toMatch(/missing trie node.*state of block 0 not stored/)

        // --nodiscover: the preset's bootnodes (discv4 nodes on the internet) are not contacted
        expect(node.discovery.discv4).toBeUndefined()
        expect(lines.filter((l) => /[Dd]ial/.test(l) && /enode:/.test(l))).toEqual([])
        const { status } = await statusOf(node.enode as string)
        expect(bytesToHex(status.genesis)).toBe(p.genesisHash)
        expect(status.networkId).toBe(p.networkId)
        expect('forkId' in status).toBe(true)
        const forkId = (status as { forkId: { hash: Uint8Array; next: bigint } }).forkId
        expect(`${bytesToHex(forkId.hash)}/${forkId.next}`).toBe(`${want.hash}/${want.next}`)
      } finally {
        await stopNode(node)
      }
      // restarted on the same datadir (the marker in the database): the same chain
      const again = await startPreset(name, join(root, name))
      expect(bytesToHex(again.chain.genesis.hash)).toBe(p.genesisHash)
      await stopNode(again)
    }, 60_000)
  }

  it('the CLI: ethwire --sepolia --nodiscover starts, warns that full sync cannot execute, stops on SIGINT', async () => {
    const child = spawnCli([
      '--sepolia',
      '--nodiscover',
      '--datadir',
      join(root, 'cli'),
      '--http',
      '--http.port',
      '0',
      '--port',
      '0',
    ])
    let err = ''
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString()
    })
    try {
      await waitFor(
        'the RPC url in the log',
        () => /HTTP server started +url=\S+/.test(err),
        30_000,
      )
      const url = /HTTP server started +url=(\S+)/.exec(err)![1] as string
      expect(await rpcCall(url, 'eth_chainId')).toBe('0xaa36a7')
      expect(await rpcCall(url, 'net_version')).toBe('11155111')
      expect(err).toMatch(/No state at the head \(header-only genesis\).*--syncmode fast/)
      expect(err).toContain(networks.sepolia.genesisHash)
    } finally {
      const closed = new Promise<number | null>((r) => child.once('close', (c) => r(c)))
      child.kill('SIGINT')
      expect(await closed).toBe(0)
    }
  }, 60_000)

  it('two --sepolia nodes peer over RLPx on loopback; --sepolia and --hoodi refuse each other', async () => {
    const a = await startPreset('sepolia', join(root, 'pa'))
    const b = await startPreset('sepolia', join(root, 'pb'))
    const c = await startPreset('hoodi', join(root, 'pc'))
    // same preset: Status accepted both ways
    await rpcCall(a.rpcUrl as string, 'admin_addPeer', [b.enode])
    await waitFor('a and b are peers', () => a.pm.peerCount === 1 && b.pm.peerCount === 1, 30_000)
    const aPeers = (await rpcCall(a.rpcUrl as string, 'admin_peers')) as { id: string }[]
    expect(aPeers.map((x) => x.id)).toEqual([b.rlpx?.nodeId])
    const bPeers = (await rpcCall(b.rpcUrl as string, 'admin_peers')) as { id: string }[]
    expect(bPeers.map((x) => x.id)).toEqual([a.rlpx?.nodeId])

    // different presets: each Status has another network id (and genesis): both refuse
    const refused: { side: string; error: string; reason: number }[] = []
    a.pm.on('peer:refused', (r) => refused.push({ side: 'sepolia', ...r }))
    c.pm.on('peer:refused', (r) => refused.push({ side: 'hoodi', ...r }))
    await rpcCall(a.rpcUrl as string, 'admin_addPeer', [c.enode]).catch(() => {})
    await waitFor('both nodes refused the other', () => refused.length >= 2, 30_000)
    // whoever checked first sent UselessPeer; the other saw its own mismatch or that disconnect
    for (const r of refused) {
      expect(r.reason, JSON.stringify(r)).toBe(DisconnectReason.UselessPeer)
      expect(r.error, JSON.stringify(r)).toMatch(/ErrNetworkIdMismatch|ErrClosed/)
    }
    expect(refused.some((r) => r.error === 'ErrNetworkIdMismatch')).toBe(true)
    expect(c.pm.peerCount).toBe(0)
    expect(a.pm.peerCount).toBe(1) // still b only
  }, 90_000)
})
