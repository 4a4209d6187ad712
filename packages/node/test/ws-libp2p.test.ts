/**
 * `--ws.libp2p` (issue 17): a node with `wsLibp2pPort` listens for libp2p on `/ip4/<host>/tcp/<port>/ws`
 * beside TCP, admin_nodeInfo lists both, and a WebSockets-only libp2p transport (what a browser page
 * is) dials the ws address and completes the eth handshake with it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLibp2pTransport } from '@ethwire/transport-libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeConfigFromFlags, parseArgs } from '../src/args.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { rpcCall } from '../src/testing.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-ws-'))
let node: EthwireNode | undefined

afterAll(async () => {
  await node?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('--ws.libp2p', () => {
  it('parses into wsLibp2pPort', () => {
    expect(nodeConfigFromFlags(parseArgs(['--ws.libp2p', '8546']).flags).wsLibp2pPort).toBe(8546)
    expect(() => parseArgs(['--ws.libp2p', '70000'])).toThrow(/not a port/)
  })

  it('listens on /ws, lists it in admin_nodeInfo, and a ws-only dialer gets an eth connection', async () => {
    node = createNode({
      datadir: join(root, 'n'),
      dev: { periodSeconds: 3600 },
      port: 0,
      wsLibp2pPort: 0,
      http: { port: 0 },
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await node.start()
    const info = (await rpcCall(node.rpcUrl as string, 'admin_nodeInfo')) as {
      listenAddrs: string[]
    }
    const ws = info.listenAddrs.find((a) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//.test(a))
    expect(ws).toBeDefined()
    expect(info.listenAddrs.some((a) => /\/tcp\/\d+\/p2p\//.test(a))).toBe(true)
    const page = createLibp2pTransport(
      {},
      { transports: ['websockets'], versions: node.libp2p.versions },
    )
    try {
      const conn = await page.dial(ws as string, { signal: AbortSignal.timeout(20_000) })
      expect(conn.version).toBe(Math.max(...node.libp2p.versions))
      expect(conn.transport).toBe('libp2p')
    } finally {
      await page.close()
    }
  }, 60_000)
})
