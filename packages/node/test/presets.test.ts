/** `--hoodi` (and the other presets): the preset network id, bootnodes and DNS list. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { networks } from '@ethwire/chain'
import { afterAll, expect, it } from 'vitest'
import { nodeConfigFromFlags, parseArgs } from '../src/args.js'
import { silentLogger } from '../src/log.js'
import { createNode } from '../src/node.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-preset-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

it('--hoodi takes the preset network id, bootnodes and DNS list', async () => {
  expect(() => parseArgs(['--hoodi', '--sepolia'])).toThrow(/same time/)
  const config = nodeConfigFromFlags(parseArgs(['--hoodi', '--datadir', join(root, 'h')]).flags)
  expect(config.network).toBe('hoodi')
  // no RLPx listening here: discovery stays off, nothing dials the real network
  const node = createNode({
    ...config,
    port: 0,
    bootnodes: [],
    logger: silentLogger,
    logIntervalMs: 0,
  })
  expect(node.config.dnsTrees).toEqual([...networks.hoodi.dnsTrees])
  expect(node.config.networkId).toBe(networks.hoodi.networkId)
  // Starting it is not covered: the executing chain refuses the header-only preset genesis
  // (ErrMissingState, no genesis state is shipped); see the README's Discovery section.
  const withBoot = createNode({ datadir: join(root, 'x'), network: 'hoodi', logger: silentLogger })
  expect(withBoot.config.bootnodes).toEqual([...networks.hoodi.bootnodes])
}, 60_000)
