import { readFileSync } from 'node:fs'
import { crc32 as zlibCrc32 } from 'node:zlib'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  computeForkId,
  crc32,
  decodeForkId,
  encodeForkId,
  type ForkConfig,
  forkChecksumUpdate,
  forksFromGethConfig,
  validateForkId,
} from '../src/index.js'

// Integers above 2^53 (2^64-1 in the vectors) would lose precision in JSON.parse: quote them.
function loadJson<T>(name: string): T {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"'))
}

const big = (x: number | string | null | undefined) => BigInt(x ?? 0)
interface ValidationCase {
  local_config: string
  local_head: number | string
  local_time: number | string
  remote: { hash: string; next: number | string }
  expected_error: string | null
}
interface ForkIdVectors {
  networks: NetworkVector[]
  eip2124_creation_cases: { networks: NetworkVector[] }
  validation: {
    local_genesis: string
    local_configs: Record<string, NetworkVector>
    cases_geth: { cases: ValidationCase[] }
    cases_eip2124: { cases: ValidationCase[] }
  }
  encoding: { cases: { hash: string; next: number | string; rlp_hex: string }[] }
}
const vectors = loadJson<ForkIdVectors>('forkid.json')

interface NetworkVector {
  network: string
  genesis_hash: string
  genesis_time: number | null
  forks_by_block: number[]
  forks_by_time: number[]
  fork_hash_chain?: { after_fork: number | null; hash: string }[]
  cases: { head: number; time: number; hash: string; next: number | string; comment: string }[]
}

function configOf(
  n: Pick<NetworkVector, 'genesis_hash' | 'genesis_time' | 'forks_by_block' | 'forks_by_time'>,
): ForkConfig {
  return {
    genesisHash: hexToBytes(n.genesis_hash),
    genesisTime: big(n.genesis_time),
    forksByBlock: n.forks_by_block.map(big),
    forksByTime: n.forks_by_time.map(big),
  }
}

describe('crc32', () => {
  it('matches zlib on random data, also when continued', () => {
    for (let len = 0; len < 300; len += 7) {
      const data = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff)
      expect(crc32(data)).toBe(zlibCrc32(data))
      expect(crc32(data.subarray(len >> 1), crc32(data.subarray(0, len >> 1)))).toBe(
        zlibCrc32(data),
      )
    }
  })
})

describe('fork id creation (networks)', () => {
  for (const n of vectors.networks as NetworkVector[]) {
    describe(n.network, () => {
      const config = configOf(n)
      for (const c of n.cases) {
        it(`head ${c.head} time ${c.time}: ${c.comment}`, () => {
          const id = computeForkId(config, { number: big(c.head), time: big(c.time) })
          expect(bytesToHex(id.hash)).toBe(c.hash)
          expect(id.next).toBe(big(c.next))
        })
      }
      it('fork hash chain', () => {
        let crc = crc32(config.genesisHash)
        for (const step of n.fork_hash_chain ?? []) {
          if (step.after_fork !== null) crc = forkChecksumUpdate(crc, big(step.after_fork))
          expect(`0x${crc.toString(16).padStart(8, '0')}`).toBe(step.hash)
        }
      })
    })
  }
})

describe('fork id creation (EIP-2124 text)', () => {
  for (const n of vectors.eip2124_creation_cases.networks) {
    const config = configOf({ ...n, genesis_time: n.genesis_time ?? 0 })
    for (const c of n.cases) {
      it(`${n.network} head ${c.head}: ${c.comment}`, () => {
        const id = computeForkId(config, { number: big(c.head), time: big(c.time) })
        expect(bytesToHex(id.hash)).toBe(c.hash)
        expect(id.next).toBe(big(c.next))
      })
    }
  }
})

describe('fork id validation', () => {
  const v = vectors.validation
  const genesis = vectors.networks.find((n) => n.network === v.local_genesis)!
  const configs: Record<string, ForkConfig> = {}
  for (const [name, c] of Object.entries(v.local_configs)) {
    configs[name] = configOf({
      ...c,
      genesis_hash: genesis.genesis_hash,
      genesis_time: genesis.genesis_time,
    })
  }
  for (const set of ['cases_geth', 'cases_eip2124'] as const) {
    v[set].cases.forEach((c, i) => {
      it(`${set}[${i}] ${c.local_config} head ${c.local_head}/${c.local_time} remote ${c.remote.hash}/${c.remote.next} -> ${c.expected_error ?? 'accept'}`, () => {
        const got = validateForkId(
          configs[c.local_config]!,
          { number: big(c.local_head), time: big(c.local_time) },
          { hash: hexToBytes(c.remote.hash), next: big(c.remote.next) },
        )
        expect(got).toBe(c.expected_error ?? undefined)
      })
    })
  }
  it('covers every validation vector', () => {
    expect(v.cases_geth.cases.length + v.cases_eip2124.cases.length).toBeGreaterThanOrEqual(60)
  })
})

describe('fork id RLP encoding', () => {
  for (const c of vectors.encoding.cases) {
    it(`${c.hash}/${c.next}`, () => {
      const id = { hash: hexToBytes(c.hash), next: big(c.next) }
      expect(bytesToHex(encodeForkId(id))).toBe(`0x${c.rlp_hex}`)
      const back = decodeForkId(hexToBytes(c.rlp_hex))
      expect(bytesToHex(back.hash)).toBe(c.hash)
      expect(back.next).toBe(id.next)
    })
  }
  it('rejects a 5-byte hash and a 9-byte next', () => {
    expect(() => decodeForkId(hexToBytes('c785000000000080'))).toThrow(/ErrFieldSize/)
    expect(() => decodeForkId(hexToBytes('ce84ffffffff89010000000000000000'))).toThrow()
  })
})

describe('fork schedule from a go-ethereum genesis config (ethtest chain)', () => {
  const genesis = loadJson<{ timestamp: string; config: Record<string, unknown> }>(
    'ethtest-genesis.json',
  )
  // Genesis hash of the ethtest chain: block 1's parentHash in ethtest/chain.rlp.
  const genesisHash = hexToBytes(
    '0xbd6a252af394d80904c5993b859574bd4669642cea00a116970ec7887db67533',
  )
  const config: ForkConfig = {
    genesisHash,
    genesisTime: big(genesis.timestamp),
    ...forksFromGethConfig(genesis.config),
  }

  it('finds the block and time forks, not terminalTotalDifficulty or chainId', () => {
    expect(config.forksByTime).toEqual(expect.arrayContaining([0n, 60n, 120n]))
    expect(config.forksByBlock.every((b) => b === 0n)).toBe(true)
  })
  it('fork id before Cancun and at the head (README-derived: CRC32(genesis || 60 || 120))', () => {
    expect(bytesToHex(computeForkId(config, { number: 0n, time: 0n }).hash)).toBe('0x8fd57d63')
    expect(computeForkId(config, { number: 0n, time: 0n }).next).toBe(60n)
    const head = computeForkId(config, { number: 600n, time: 6000n })
    expect(bytesToHex(head.hash)).toBe('0x377aaa78')
    expect(head.next).toBe(0n)
  })
})
