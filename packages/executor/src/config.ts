/**
 * go-ethereum genesis.json `config` → the rules of one block (forks by number and by time, the merge,
 * the blob schedule) and the EthereumJS `Common` hardfork that runs it.
 */
import { Common, Hardfork } from '@ethereumjs/common'
import { blobScheduleDefaults } from './constants.js'

/** A blob schedule entry (genesis `config.blobSchedule.<fork>`). */
export interface BlobParams {
  target: number
  max: number
  baseFeeUpdateFraction: number
}

/** The subset of go-ethereum's `params.ChainConfig` execution needs. Unknown keys are ignored. */
export interface ExecutionConfig {
  chainId?: number | string | bigint
  homesteadBlock?: number | null
  daoForkBlock?: number | null
  eip150Block?: number | null
  eip155Block?: number | null
  eip158Block?: number | null
  byzantiumBlock?: number | null
  constantinopleBlock?: number | null
  petersburgBlock?: number | null
  istanbulBlock?: number | null
  muirGlacierBlock?: number | null
  berlinBlock?: number | null
  londonBlock?: number | null
  arrowGlacierBlock?: number | null
  grayGlacierBlock?: number | null
  mergeNetsplitBlock?: number | null
  shanghaiTime?: number | null
  cancunTime?: number | null
  pragueTime?: number | null
  osakaTime?: number | null
  bpo1Time?: number | null
  bpo2Time?: number | null
  bpo3Time?: number | null
  bpo4Time?: number | null
  bpo5Time?: number | null
  terminalTotalDifficulty?: number | string | null
  depositContractAddress?: string
  ethash?: Record<string, unknown> | null
  clique?: { period?: number; epoch?: number } | null
  blobSchedule?: Record<string, BlobParams>
  [key: string]: unknown
}

/** Which rules apply to one block (go-ethereum's `params.Rules`). */
export interface Rules {
  /** The EthereumJS hardfork whose EVM runs the block. */
  hardfork: Hardfork
  chainId: bigint
  homestead: boolean
  eip150: boolean
  eip155: boolean
  eip158: boolean
  byzantium: boolean
  constantinople: boolean
  petersburg: boolean
  istanbul: boolean
  berlin: boolean
  london: boolean
  /** Post-merge block (difficulty 0): no rewards, PREVRANDAO. */
  merge: boolean
  shanghai: boolean
  cancun: boolean
  prague: boolean
  osaka: boolean
  /** Blob parameters in force (Cancun on). */
  blob?: BlobParams
  /** Proof-of-work block rewards apply (ethash chain, before the merge). */
  ethashRewards: boolean
}

const atBlock = (v: number | null | undefined, n: bigint) =>
  v !== undefined && v !== null && n >= BigInt(v)
const atTime = (v: number | null | undefined, t: bigint) =>
  v !== undefined && v !== null && t >= BigInt(v)

/** The rules of a block at `number`/`time`; `merged` = the block is post-merge (difficulty 0). */
export function rulesAt(c: ExecutionConfig, number: bigint, time: bigint, merged: boolean): Rules {
  const london = atBlock(c.londonBlock, number)
  const timed = (v: number | null | undefined) => merged && london && atTime(v, time)
  const r: Rules = {
    hardfork: Hardfork.Chainstart,
    chainId: BigInt(c.chainId ?? 1),
    homestead: atBlock(c.homesteadBlock, number),
    eip150: atBlock(c.eip150Block, number),
    eip155: atBlock(c.eip155Block, number),
    eip158: atBlock(c.eip158Block, number),
    byzantium: atBlock(c.byzantiumBlock, number),
    constantinople: atBlock(c.constantinopleBlock, number),
    petersburg: atBlock(c.petersburgBlock, number),
    istanbul: atBlock(c.istanbulBlock, number),
    berlin: atBlock(c.berlinBlock, number),
    london,
    merge: merged,
    shanghai: timed(c.shanghaiTime),
    cancun: timed(c.cancunTime),
    prague: timed(c.pragueTime),
    osaka: timed(c.osakaTime),
    ethashRewards: !merged && !c.clique,
  }
  // go-ethereum treats a missing petersburgBlock as equal to constantinopleBlock.
  if ((c.petersburgBlock === undefined || c.petersburgBlock === null) && r.constantinople)
    r.petersburg = true
  const order: [boolean, Hardfork][] = [
    [r.homestead, Hardfork.Homestead],
    [r.eip150, Hardfork.TangerineWhistle],
    [r.eip158, Hardfork.SpuriousDragon],
    [r.byzantium, Hardfork.Byzantium],
    [r.constantinople, Hardfork.Constantinople],
    [r.petersburg, Hardfork.Petersburg],
    [r.istanbul, Hardfork.Istanbul],
    [r.berlin, Hardfork.Berlin],
    [r.london, Hardfork.London],
    [merged, Hardfork.Paris],
    [r.shanghai, Hardfork.Shanghai],
    [r.cancun, Hardfork.Cancun],
    [r.prague, Hardfork.Prague],
    [r.osaka, Hardfork.Osaka],
  ]
  for (const [on, hf] of order) if (on) r.hardfork = hf
  if (r.cancun) r.blob = blobParamsAt(c, r, time)
  return r
}

/** The blob schedule entry in force (go-ethereum's `BlobConfig` lookup, BPO forks included). */
function blobParamsAt(c: ExecutionConfig, r: Rules, time: bigint): BlobParams {
  const s = { ...blobScheduleDefaults, ...(c.blobSchedule ?? {}) } as Record<string, BlobParams>
  const timed = (v: number | null | undefined) => r.merge && r.london && atTime(v, time)
  for (const bpo of ['bpo5', 'bpo4', 'bpo3', 'bpo2', 'bpo1'] as const) {
    const entry = s[bpo]
    if (timed(c[`${bpo}Time`] as number | null | undefined) && entry) return entry
  }
  if (r.osaka && s.osaka) return s.osaka
  if (r.prague && s.prague) return s.prague
  return s.cancun as BlobParams
}

/** All the hardforks EthereumJS knows up to Osaka, for a Common that can switch to any of them. */
const hardforkList: Hardfork[] = [
  Hardfork.Chainstart,
  Hardfork.Homestead,
  Hardfork.Dao,
  Hardfork.TangerineWhistle,
  Hardfork.SpuriousDragon,
  Hardfork.Byzantium,
  Hardfork.Constantinople,
  Hardfork.Petersburg,
  Hardfork.Istanbul,
  Hardfork.MuirGlacier,
  Hardfork.Berlin,
  Hardfork.London,
  Hardfork.ArrowGlacier,
  Hardfork.GrayGlacier,
  Hardfork.Paris,
  Hardfork.MergeNetsplitBlock,
  Hardfork.Shanghai,
  Hardfork.Cancun,
  Hardfork.Prague,
  Hardfork.Osaka,
]

/**
 * An EthereumJS `Common` for the chain: its chain id, every hardfork selectable by
 * `setHardfork` (the executor picks the fork of each block itself with {@link rulesAt}).
 */
export function createCommon(
  c: ExecutionConfig,
  customCrypto: ConstructorParameters<typeof Common>[0]['customCrypto'] = {},
): Common {
  const chainId = BigInt(c.chainId ?? 1)
  return new Common({
    chain: {
      name: 'ethwire',
      chainId: Number(chainId) <= Number.MAX_SAFE_INTEGER ? Number(chainId) : chainId.toString(),
      defaultHardfork: Hardfork.Chainstart,
      genesis: { gasLimit: 0, difficulty: 0, nonce: '0x0000000000000000', extraData: '0x' },
      hardforks: hardforkList.map((name, i) => ({ name, block: i === 0 ? 0 : null })),
      bootstrapNodes: [],
      consensus: c.clique
        ? { type: 'poa', algorithm: 'clique', clique: { period: 0, epoch: 30000 } }
        : { type: 'pow', algorithm: 'ethash', ethash: {} },
      ...(c.depositContractAddress
        ? { depositContractAddress: c.depositContractAddress as `0x${string}` }
        : {}),
    },
    hardfork: Hardfork.Chainstart,
    customCrypto,
  })
}
