import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  computeForkId,
  type ForkConfig,
  forksFromGethConfig,
  gatherForks,
} from '@ethwire/handshake'
import {
  asList,
  bytesToBigInt,
  bytesToHex,
  hexToBytes,
  type RlpItem,
  rlpDecode,
} from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  blobScheduleAt,
  type GenesisAccount,
  genesisHeader,
  genesisState,
  genesisStateRoot,
  isChainError,
  type NetworkName,
  networkByGenesisHash,
  networkPreset,
  networks,
  openChain,
} from '../src/index.js'

const fixture = (f: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8'))

// EIP-2124 vectors (shared/vectors/forkid.json): each network's forks and fork ids at many heads
const forkVectors = fixture('forkid.json') as {
  networks: {
    network: string
    genesis_hash: string
    genesis_time: number | null
    forks_by_block: number[]
    forks_by_time: number[]
    cases: { head: number; time: number; hash: string; next: number }[]
  }[]
}
// go-ethereum core/genesis_alloc.go allocations of the three testnets (decodePrealloc format)
const allocs = fixture('genesis-allocs.json') as Record<'sepolia' | 'holesky' | 'hoodi', string>

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

const names = Object.keys(networks) as NetworkName[]

function forkConfigOf(name: NetworkName): ForkConfig {
  const p = networks[name]
  return {
    genesisHash: hexToBytes(p.genesisHash),
    genesisTime: BigInt(p.genesis.timestamp ?? 0),
    ...forksFromGethConfig(p.genesis.config),
  }
}

describe('network presets', () => {
  it('are mainnet, sepolia, holesky and hoodi', () => {
    expect(names).toEqual(['mainnet', 'sepolia', 'holesky', 'hoodi'])
    expect(networkPreset('hoodi')?.networkId).toBe(560048n)
    expect(networkPreset('goerli')).toBeUndefined()
    expect(networkPreset('toString')).toBeUndefined()
    expect(
      networkByGenesisHash(networks.sepolia.genesisHash.toUpperCase().replace('0X', '0x'))?.name,
    ).toBe('sepolia')
  })

  for (const name of names) {
    const p = networks[name]
    it(`${name}: the header-only genesis builds the genesis hash`, () => {
      expect(p.genesisAlloc).toBe('header-only')
      expect(p.genesis.alloc).toBeUndefined()
      expect(bytesToHex(genesisHeader(p.genesis).hash)).toBe(p.genesisHash)
      expect(BigInt(p.genesis.config.chainId as number)).toBe(p.networkId)
    })

    it(`${name}: fork ids from the chain config match every EIP-2124 vector`, () => {
      const v = forkVectors.networks.find((n) => n.network === name)!
      expect(v.genesis_hash).toBe(p.genesisHash)
      const config = forkConfigOf(name)
      const gathered = gatherForks(config)
      expect(gathered.forksByBlock).toEqual(v.forks_by_block.map(BigInt))
      expect(gathered.forksByTime).toEqual(v.forks_by_time.map(BigInt))
      expect(v.cases.length).toBeGreaterThan(5)
      for (const c of v.cases) {
        const id = computeForkId(config, { number: BigInt(c.head), time: BigInt(c.time) })
        expect(`${bytesToHex(id.hash)}/${id.next}`, `head ${c.head} time ${c.time}`).toBe(
          `${c.hash}/${c.next}`,
        )
      }
    })

    it(`${name}: bootnodes are enode URLs and the DNS tree is ethdisco.net's`, () => {
      expect(p.bootnodes.length).toBeGreaterThanOrEqual(2)
      for (const b of p.bootnodes)
        expect(b).toMatch(/^enode:\/\/[0-9a-f]{128}@\d+\.\d+\.\d+\.\d+:30303$/)
      expect(p.dnsTrees).toEqual([
        `enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.${name}.ethdisco.net`,
      ])
    })
  }

  for (const name of ['sepolia', 'holesky', 'hoodi'] as const) {
    it(`${name}: go-ethereum's genesis alloc gives the preset's state root`, () => {
      const alloc = decodePrealloc(allocs[name])
      const root = bytesToHex(genesisState(alloc).stateRoot)
      expect(root).toBe(networks[name].genesis.stateRoot)
      // with the alloc as well, the roots must agree
      expect(bytesToHex(genesisStateRoot({ ...networks[name].genesis, alloc }))).toBe(root)
      expect(() =>
        genesisStateRoot({ ...networks[name].genesis, alloc, stateRoot: `0x${'00'.repeat(32)}` }),
      ).toThrow(expect.objectContaining({ code: 'ErrInvalidGenesis' }))
    })
  }

  it('the blob schedule follows BPO1 and BPO2', () => {
    const c = networks.mainnet.genesis.config
    const n = 23_000_000n
    expect(blobScheduleAt(c, n, 1764798551n)?.max).toBe(9) // Osaka
    expect(blobScheduleAt(c, n, 1765290071n)?.max).toBe(15) // BPO1
    expect(blobScheduleAt(c, n, 1767747671n)?.max).toBe(21) // BPO2
  })

  it('openChain takes a header-only genesis (hoodi merged at genesis; mainnet with fakePow)', async () => {
    for (const [name, fakePow] of [
      ['hoodi', false],
      ['mainnet', true],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'ethwire-preset-'))
      try {
        const chain = await openChain(
          { location: dir },
          { genesis: networks[name].genesis, fakePow },
        )
        expect(bytesToHex(chain.genesis.hash)).toBe(networks[name].genesisHash)
        expect(chain.currentHeader().number).toBe(0n)
        expect(chain.config.chainId).toBe(Number(networks[name].networkId))
        await chain.close()
        // reopening with the preset again is the same chain
        const again = await openChain(
          { location: dir },
          { genesis: networks[name].genesis, fakePow },
        )
        expect(bytesToHex(again.genesis.hash)).toBe(networks[name].genesisHash)
        await again.close()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
    // mainnet without fakePow: ethash seals are not verified, so it is refused
    const dir = mkdtempSync(join(tmpdir(), 'ethwire-preset-'))
    try {
      const err = await openChain({ location: dir }, { genesis: networks.mainnet.genesis }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isChainError(err, 'ErrUnsupportedEngine')).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
