/**
 * Issue 17: the protocol packages run in a browser. Each entry is bundled with esbuild for the
 * browser (`platform: 'browser'`, `bundle: true`, from the TypeScript sources) and must import no
 * Node built-in (`node:*`, `fs`, `crypto`, `events`, `buffer`, `worker_threads`, …) and use no
 * Node global (`Buffer`, `process`, `setImmediate`, …) outside a `typeof` check — what they
 * import at runtime (keccak, interface/runtime, @ethereumjs/rlp, @noble/hashes) included.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser, describeFindings } from '../scripts/browser-bundle.js'

const here = join(import.meta.dirname, '..')
const repo = join(here, '..')

const entries = [
  '@ethwire/rlp-wire',
  '@ethwire/handshake',
  '@ethwire/peerset',
  '@ethwire/fetcher',
  '@ethwire/downloader',
  '@ethwire/txsync',
  '@ethwire/keccak',
  '@ethwire/interface',
  '@ethwire/interface/runtime',
  // not in issue 17's list, but the page dials with it: its `browser` field swaps the node key
  // on disk (node:fs) for a stub, and @libp2p/tcp for its browser build
  '@ethwire/transport-libp2p',
]

describe('browser bundles import no Node built-ins', () => {
  for (const entry of entries) {
    it(entry, async () => {
      const bundle = await bundleForBrowser(entry, here, { root: repo })
      expect(describeFindings(entry, bundle)).toBe('')
      expect(bundle.warnings).toEqual([])
    })
  }

  it('the check itself finds a Node built-in import and a Node global', async () => {
    const bundle = await bundleForBrowser('./test/fixtures/uses-node.ts', here, { root: repo })
    expect(bundle.nodeImports.map((i) => i.specifier).sort()).toEqual(['events', 'node:crypto'])
    expect(bundle.nodeGlobals.map((g) => g.name).sort()).toEqual(['Buffer', 'process'])
    expect(bundle.nodeGlobals[0]!.module).toMatch(/uses-node\.ts$/)
  })
})
