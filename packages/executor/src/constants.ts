/** Defaults, limits and protocol constants of @ethwire/executor. */

/** go-ethereum's default blob schedule (used where genesis.json gives none). */
export const blobScheduleDefaults = {
  cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
  prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
  osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
} as const

/** EIP-4844 gas per blob. */
export const gasPerBlob = 131072n
/** EIP-4844 minimum blob base fee (wei). */
export const minBlobBaseFeeWei = 1n
/** EIP-7918 (Osaka): blob base cost relative to execution gas. */
export const blobBaseCost = 8192n
/** EIP-7594 (Osaka): most blobs one transaction may carry. */
export const maxBlobsPerTxOsaka = 6
/** EIP-7825 (Osaka): largest gas limit of one transaction. */
export const maxTxGasOsaka = 16_777_216n
/** EIP-3860 (Shanghai): largest init code (bytes). */
export const maxInitCodeBytes = 49152
/** EIP-4788 / EIP-2935 / EIP-7002 / EIP-7251: gas given to a system call. */
export const systemCallGas = 30_000_000n
/** Gas a system call is limited to in go-ethereum's `params.SystemCallGas`-style calls. */
export const historyServeWindow = 8191n

/** 0xff…fe, the caller of system calls. */
export const systemAddress = '0xfffffffffffffffffffffffffffffffffffffffe'
/** EIP-4788 beacon roots contract. */
export const beaconRootsAddress = '0x000f3df6d732807ef1319fb7b8bb8522d0beac02'
/** EIP-2935 history storage contract. */
export const historyStorageAddress = '0x0000f90827f1c53a10cb7a02335b175320002935'
/** EIP-7002 withdrawal request contract. */
export const withdrawalRequestAddress = '0x00000961ef480eb55e80d19ad83579a64c007002'
/** EIP-7251 consolidation request contract. */
export const consolidationRequestAddress = '0x0000bbddc7ce488642fb579f8b00f3a590007251'
/** EIP-6110 deposit event: keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)"). */
export const depositEventTopic =
  '0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5'

/** Proof-of-work block rewards (wei): Frontier, Byzantium, Constantinople. */
export const frontierBlockRewardWei = 5_000_000_000_000_000_000n
export const byzantiumBlockRewardWei = 3_000_000_000_000_000_000n
export const constantinopleBlockRewardWei = 2_000_000_000_000_000_000n

/** Ancestor headers kept by the executor for BLOCKHASH (entries). */
export const blockHashCacheEntries = 1024
/** Blocks whose senders are recovered in one pool call at most. */
export const senderBatchItems = 4096
/** Accounts + slots the executor keeps cached across blocks (values at the last committed root). */
export const flatCacheEntries = 500_000
/** Distinct log addresses/topics whose bloom bits are remembered. */
export const bloomBitsCacheEntries = 4096
/** Consecutive blocks run on one world state before a fresh one is opened from the database. */
export const maxWorldReuseBlocks = 256
/** Gas a call (`eth_call`, `eth_estimateGas`) may use at most: go-ethereum's `--rpc.gascap` default. */
export const callGasCap = 50_000_000n
/** `eth_estimateGas` stops once the bounds are this close (go-ethereum's `estimateGasErrorRatio`). */
export const estimateGasErrorRatio = 0.015

/**
 * V8 old-generation growth while executing: after each full collection the heap may grow to the
 * live size × (1 + this / 100) before the next one (V8's own factor goes up to 4×, so block import
 * of a 10,000-account chain let garbage reach ~410 MB of old space over ~120 MB live). 50 holds the
 * old space near a `--max-old-space-size=256` cap at the same speed (measured on the exec bench).
 */
export const heapGrowingPercent = 50
