/**
 * `eth_config` (EIP-7910): the fork in force at the head, the next scheduled one and the last
 * scheduled one, each with its activation time, blob schedule, chain id, fork id, precompiles and
 * system contracts (go-ethereum's `eth_config`; time-scheduled forks from Shanghai on).
 */
import { blobScheduleAt, type ChainConfig } from '@ethwire/chain'
import { computeForkId, forksFromGethConfig } from '@ethwire/handshake'
import { bytesToHex } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { qty } from '../params.js'

/** Time-scheduled forks in activation order (go-ethereum's `ChainConfig` field order). */
const timeForks = [
  'shanghai',
  'cancun',
  'prague',
  'osaka',
  'bpo1',
  'bpo2',
  'bpo3',
  'bpo4',
  'bpo5',
  'amsterdam',
] as const
type TimeFork = (typeof timeForks)[number]

const rank = (f: TimeFork) => timeForks.indexOf(f)
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`

function precompilesOf(f: TimeFork): Record<string, string> {
  const out: Record<string, string> = {
    ECREC: addr(1),
    SHA256: addr(2),
    RIPEMD160: addr(3),
    ID: addr(4),
    MODEXP: addr(5),
    BN254_ADD: addr(6),
    BN254_MUL: addr(7),
    BN254_PAIRING: addr(8),
    BLAKE2F: addr(9),
  }
  if (rank(f) >= rank('cancun')) out.KZG_POINT_EVALUATION = addr(0x0a)
  if (rank(f) >= rank('prague')) {
    out.BLS12_G1ADD = addr(0x0b)
    out.BLS12_G1MSM = addr(0x0c)
    out.BLS12_G2ADD = addr(0x0d)
    out.BLS12_G2MSM = addr(0x0e)
    out.BLS12_PAIRING_CHECK = addr(0x0f)
    out.BLS12_MAP_FP_TO_G1 = addr(0x10)
    out.BLS12_MAP_FP2_TO_G2 = addr(0x11)
  }
  if (rank(f) >= rank('osaka')) out.P256VERIFY = addr(0x100)
  return out
}

function systemContractsOf(f: TimeFork, config: ChainConfig): Record<string, string> {
  const out: Record<string, string> = {}
  if (rank(f) >= rank('cancun'))
    out.BEACON_ROOTS_ADDRESS = '0x000f3df6d732807ef1319fb7b8bb8522d0beac02'
  if (rank(f) >= rank('prague')) {
    const deposit = (config as { depositContractAddress?: unknown }).depositContractAddress
    out.CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS = '0x0000bbddc7ce488642fb579f8b00f3a590007251'
    out.DEPOSIT_CONTRACT_ADDRESS = typeof deposit === 'string' ? deposit.toLowerCase() : addr(0)
    out.HISTORY_STORAGE_ADDRESS = '0x0000f90827f1c53a10cb7a02335b175320002935'
    out.WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS = '0x00000961ef480eb55e80d19ad83579a64c007002'
  }
  return out
}

export function configMethods(b: Backend): RpcMethods {
  return {
    eth_config: async () => {
      const config = b.chainConfig as ChainConfig
      const genesis = await b.headerByNumber(0n)
      const head = b.currentHeader()
      const scheduled = timeForks
        .map((f) => ({ f, at: (config as Record<string, unknown>)[`${f}Time`] }))
        .filter((x): x is { f: TimeFork; at: number } => typeof x.at === 'number')
        .sort((x, y) => x.at - y.at || rank(x.f) - rank(y.f))
      const forks = forksFromGethConfig(config as Record<string, unknown>)
      const describe = (x: { f: TimeFork; at: number } | undefined) => {
        if (!x) return null
        const time = BigInt(x.at)
        const blob = blobScheduleAt(config, head.number, time)
        const id = computeForkId(
          {
            genesisHash: b.genesisHash,
            genesisTime: genesis?.time ?? 0n,
            ...forks,
          },
          // every block fork is in the past at a time fork
          { number: head.number > 1n << 62n ? head.number : 1n << 62n, time },
        )
        return {
          activationTime: x.at,
          blobSchedule: blob
            ? {
                target: blob.target,
                max: blob.max,
                baseFeeUpdateFraction: blob.baseFeeUpdateFraction,
              }
            : null,
          chainId: qty(b.chainId),
          forkId: bytesToHex(id.hash),
          precompiles: precompilesOf(x.f),
          systemContracts: systemContractsOf(x.f, config),
        }
      }
      const past = scheduled.filter((x) => BigInt(x.at) <= head.time)
      const future = scheduled.filter((x) => BigInt(x.at) > head.time)
      return {
        current: describe(past.at(-1)),
        next: describe(future[0]),
        last: describe(future.at(-1)),
      }
    },
  }
}
