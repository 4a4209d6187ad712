/**
 * `eth_call` and `eth_estimateGas` (go-ethereum's `internal/ethapi` DoCall / DoEstimateGas): a
 * message run on the state of a stored block, in that block's context, with nothing committed. It
 * has its own EVM and state adapter, so calls never disturb block import (whose adapter keeps the
 * last block's caches and uncommitted world state).
 */
import { createEVM, type EVM } from '@ethereumjs/evm'
import { Address } from '@ethereumjs/util'
import {
  type AccessListEntry,
  type Authorization,
  type BlockHeader,
  equalBytes,
  keccak256,
  Transaction,
  type TxType,
} from '@ethwire/rlp-wire'
import { hexKey, StateAdapter } from './adapter.js'
import { createCommon, type ExecutionConfig, rulesAt } from './config.js'
import { callGasCap, estimateGasErrorRatio, maxTxGasOsaka } from './constants.js'
import { ExecutorError, isExecutorError } from './errors.js'
import { blobBaseFee } from './fees.js'
import { applyTransaction, intrinsicGas, type TxEnv, type TxResult } from './transition.js'
import type { HeaderSource, Kzg, StateOpener } from './types.js'

const EMPTY_CODE_HASH = keccak256(new Uint8Array(0))
const EMPTY_ROOT_HEX = '56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'
const ZERO_ADDRESS = new Uint8Array(20)

/** go-ethereum's state override of one account (`eth_call`'s third parameter). */
export interface AccountOverride {
  balance?: bigint
  nonce?: bigint
  code?: Uint8Array
  /** The whole storage, replaced (slot → 32-byte value). */
  state?: ReadonlyArray<readonly [Uint8Array, Uint8Array]>
  /** Slots changed on top of the stored storage. */
  stateDiff?: ReadonlyArray<readonly [Uint8Array, Uint8Array]>
}

/** go-ethereum's block override (`eth_call`'s fourth parameter). */
export interface BlockOverrides {
  number?: bigint
  /** DIFFICULTY before the merge (after it PREVRANDAO is `prevRandao`). */
  difficulty?: bigint
  time?: bigint
  gasLimit?: bigint
  coinbase?: Uint8Array
  prevRandao?: Uint8Array
  baseFee?: bigint
  blobBaseFee?: bigint
}

export interface CallInput {
  /** The block whose state the call runs on, and whose context (number, time, …) it sees. */
  header: BlockHeader
  /** Default the zero address. */
  from?: Uint8Array
  /** Absent: contract creation. */
  to?: Uint8Array | null
  /** Default the gas cap (`callGasCap`; EIP-7825's cap from Osaka). */
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  maxFeePerBlobGas?: bigint
  value?: bigint
  data?: Uint8Array
  accessList?: AccessListEntry[]
  blobVersionedHashes?: Uint8Array[]
  authorizationList?: Authorization[]
  /** Nonce to use; default the sender's (nonce checks are skipped, as go-ethereum does for calls). */
  nonce?: bigint
  stateOverrides?: ReadonlyMap<string, AccountOverride>
  blockOverrides?: BlockOverrides
  /** Ancestor headers for BLOCKHASH. */
  headers?: HeaderSource
  /** Most gas a call may use (default `callGasCap`). */
  gasCap?: bigint
  /** Record what the call accessed (`CallResult.accessList`), for eth_createAccessList. */
  reportAccessList?: boolean
  signal?: AbortSignal
}

export interface CallResult {
  /** What the call returned; the revert data when it reverted. */
  returnData: Uint8Array
  gasUsed: bigint
  /** Gas refunded at the end (EIP-3529), already off `gasUsed`. */
  refund: bigint
  /** True when the call did not fail or revert. */
  success: boolean
  /** `execution reverted`, `out of gas`, … when it did not succeed. */
  error?: string
  /** The address a creation would have made. */
  contractAddress?: Uint8Array
  logs: TxResult['logs']
  /** With `reportAccessList`: the accessed addresses and their slots, in first-access order. */
  accessList?: AccessListEntry[]
}

export interface CallEngine {
  call(input: CallInput): Promise<CallResult>
  estimateGas(input: CallInput): Promise<bigint>
}

const hasFees = (i: CallInput) =>
  (i.gasPrice ?? 0n) > 0n || (i.maxFeePerGas ?? 0n) > 0n || (i.maxPriorityFeePerGas ?? 0n) > 0n

/**
 * The price per gas a call message carries (go-ethereum's `ToMessage`): the legacy price, else
 * min(tip + base fee, fee cap) when a 1559 field is set, else 0.
 */
function messageGasPrice(i: CallInput, baseFee: bigint | undefined): bigint {
  if (i.gasPrice !== undefined) return i.gasPrice
  const feeCap = i.maxFeePerGas ?? 0n
  const tip = i.maxPriorityFeePerGas ?? 0n
  if (baseFee === undefined) return feeCap > 0n ? feeCap : tip
  if (feeCap === 0n && tip === 0n) return 0n
  const p = tip + baseFee
  return p < feeCap ? p : feeCap
}

/** The EVM's error names in go-ethereum's words. */
function errorText(e: string | undefined): string | undefined {
  if (e === undefined) return undefined
  if (e === 'revert') return 'execution reverted'
  return e
}

export function createCallEngine(
  deps: { state: StateOpener; headers?: HeaderSource; kzg?: Kzg },
  config: ExecutionConfig,
): CallEngine {
  const common = createCommon(config, deps.kzg ? { kzg: deps.kzg as never } : {})
  let engine: Promise<{ evm: EVM; adapter: StateAdapter }> | undefined
  let headerSource: HeaderSource | undefined
  let queue: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = queue.then(f, f)
    queue = run.catch(() => {})
    return run
  }
  const ready = () => {
    engine ??= (async () => {
      const adapter = new StateAdapter(undefined as never)
      const blockchain = {
        getBlock: async (n: number) => {
          const hash = await ancestorHash(BigInt(n))
          return { hash: () => hash }
        },
        putBlock: async () => {},
        shallowCopy() {
          return blockchain
        },
      }
      // clique: the interpreter needs a `cliqueSigner`; COINBASE is the call's block coinbase
      const evm = await createEVM({
        common,
        stateManager: adapter,
        blockchain,
        cliqueSigner: (h) => h.coinbase,
      })
      return { evm, adapter }
    })()
    return engine
  }
  // BLOCKHASH: walk back from the call's block through the header source.
  let context: BlockHeader | undefined
  const ancestorHash = async (n: bigint): Promise<Uint8Array> => {
    let h = context
    while (h && h.number > n) {
      const p = await headerSource?.getHeader(h.parentHash, h.number - 1n)
      if (!p) return new Uint8Array(32)
      h = p
    }
    return h && h.number === n ? h.hash : new Uint8Array(32)
  }

  const run = (input: CallInput, gas: bigint): Promise<CallResult> =>
    exclusive(async () => {
      input.signal?.throwIfAborted()
      const { evm, adapter } = await ready()
      const header = input.header
      const bo = input.blockOverrides ?? {}
      const number = bo.number ?? header.number
      const time = bo.time ?? header.time
      const rules = rulesAt(config, number, time, header.difficulty === 0n)
      common.setHardfork(rules.hardfork)
      let world: Awaited<ReturnType<StateOpener['open']>>
      try {
        world = await deps.state.open(header.stateRoot)
      } catch (e) {
        throw new ExecutorError(
          'ErrMissingState',
          `state of block ${header.number} unavailable: ${(e as Error).message}`,
        )
      }
      adapter.reset(world, false)
      headerSource = input.headers ?? deps.headers
      context = header
      const from = input.from ?? ZERO_ADDRESS
      if (input.stateOverrides) await applyOverrides(adapter, input.stateOverrides)
      const sender = await adapter.readAccount(hexKey(from), from)
      const baseFee = bo.baseFee ?? header.baseFee
      // No fee given: the base fee is not checked and nothing is paid (go-ethereum's NoBaseFee).
      const paying = hasFees(input)
      const coinbase = bo.coinbase ?? header.coinbase
      let bbf =
        bo.blobBaseFee ?? (rules.cancun ? blobBaseFee(rules, header.excessBlobGas ?? 0n) : 0n)
      // go-ethereum's applyMessage: a message whose gas price is 0 sees BASEFEE 0 (basefee ≤
      // feecap stays true), and one with a zero blob fee cap sees BLOBBASEFEE 0.
      const evmBaseFee = messageGasPrice(input, baseFee) === 0n ? 0n : baseFee
      if (input.maxFeePerBlobGas === 0n) bbf = 0n
      const env: TxEnv = {
        rules,
        evm,
        state: adapter,
        evmBlock: {
          header: {
            number,
            coinbase: new Address(coinbase),
            timestamp: time,
            difficulty: bo.difficulty ?? header.difficulty,
            prevRandao: bo.prevRandao ?? header.mixDigest,
            gasLimit: bo.gasLimit ?? header.gasLimit,
            baseFeePerGas: evmBaseFee,
            getBlobGasPrice: () => (rules.cancun ? bbf : undefined),
          },
        } as TxEnv['evmBlock'],
        coinbase,
        baseFee: paying ? baseFee : undefined,
        blobBaseFee: paying ? bbf : 0n,
        gasPool: 2n ** 64n - 1n,
        precompiles: [...evm.precompiles.keys()],
      }
      const tx = messageTx(input, gas, rules.chainId, sender?.nonce ?? 0n, rules.london)
      let res: TxResult
      try {
        res = await applyTransaction(env, tx, from, {
          skipAccountChecks: true,
          ...(input.reportAccessList ? { reportAccessList: true } : {}),
        })
      } catch (e) {
        if (isExecutorError(e)) throw e
        throw new ExecutorError('ErrInvalidTx', (e as Error).message)
      }
      return {
        returnData: res.returnValue,
        gasUsed: res.gasUsed,
        refund: res.refund,
        success: res.status,
        logs: res.logs,
        ...(res.error ? { error: errorText(res.error) } : {}),
        ...(res.contractAddress ? { contractAddress: res.contractAddress } : {}),
        ...(res.accessList
          ? {
              accessList: [...res.accessList].map(([a, slots]) => ({
                address: hexBytes(a),
                storageKeys: [...slots].map((k) => hexBytes(k.padStart(64, '0'))),
              })),
            }
          : {}),
      }
    })

  const capOf = (input: CallInput) => {
    const rules = rulesAt(config, input.header.number, input.header.time, true)
    let cap = input.gasCap ?? callGasCap
    if (rules.osaka && cap > maxTxGasOsaka) cap = maxTxGasOsaka
    return cap
  }

  return {
    call(input) {
      const cap = capOf(input)
      const gas = input.gas === undefined || input.gas > cap ? cap : input.gas
      return run(input, gas)
    },

    async estimateGas(input) {
      const rules = rulesAt(config, input.header.number, input.header.time, true)
      // The highest gas to try: what was asked, else the block's limit, capped by the call cap
      // and by what the sender can pay at the given fee.
      let hi = input.gas ?? input.blockOverrides?.gasLimit ?? input.header.gasLimit
      const cap = capOf(input)
      if (hi > cap) hi = cap
      const feeCap = input.gasPrice ?? input.maxFeePerGas ?? 0n
      if (feeCap > 0n) {
        const from = input.from ?? ZERO_ADDRESS
        const overridden = input.stateOverrides?.get(hexKey(from))?.balance
        const balance = overridden ?? (await accountBalance(deps.state, input.header, from))
        const value = input.value ?? 0n
        if (balance < value)
          throw new ExecutorError('ErrInvalidTx', 'insufficient funds for transfer')
        const allowance = (balance - value) / feeCap
        if (allowance < hi) hi = allowance
      }
      // A plain transfer to an account without code costs 21,000 (go-ethereum's short cut).
      if (
        input.to &&
        (input.data?.length ?? 0) === 0 &&
        !input.authorizationList?.length &&
        !input.stateOverrides?.get(hexKey(input.to))?.code &&
        (await codeSize(deps.state, input.header, input.to)) === 0 &&
        hi >= 21_000n
      ) {
        const r = await run(input, 21_000n)
        if (r.success) return 21_000n
      }
      const probe = messageTx(input, hi, rules.chainId, 0n, rules.london)
      const lowest = intrinsicGas(probe, rules)
      // biome-ignore lint/complexity/useMathMinMax: bigints
      let lo = (lowest.gas > lowest.floor ? lowest.gas : lowest.floor) - 1n
      if (hi <= lo)
        throw new ExecutorError('ErrInvalidTx', `gas required exceeds allowance (${hi})`)
      const tryGas = async (gas: bigint) => {
        try {
          return await run(input, gas)
        } catch (e) {
          // Too little gas for the intrinsic cost or the floor is a failed try, not an error.
          if (isExecutorError(e, 'ErrInvalidTx') && /gas too low|floor data gas/.test(e.message))
            return undefined
          throw e
        }
      }
      const first = await tryGas(hi)
      if (!first?.success) {
        if (first?.error === 'execution reverted') throw revertError(first.returnData)
        throw new ExecutorError('ErrInvalidTx', `gas required exceeds allowance (${hi})`)
      }
      // go-ethereum: the gas used plus the refund is a lower bound; try a little above it first.
      const used = first.gasUsed + first.refund
      lo = used - 1n > lo ? used - 1n : lo
      const optimistic = (used * 64n) / 63n
      if (optimistic < hi) {
        const r = await tryGas(optimistic)
        if (r?.success) hi = optimistic
        else lo = optimistic
      }
      while (lo + 1n < hi) {
        // Close enough: within go-ethereum's 1.5 % of the lowest bound.
        if (Number(hi - lo) / Number(hi) < estimateGasErrorRatio) break
        let mid = (hi + lo) / 2n
        if (mid > lo * 2n) mid = lo * 2n
        const r = await tryGas(mid)
        if (r?.success) hi = mid
        else lo = mid
      }
      return hi
    },
  }
}

/** An `ExecutorError` for a reverted call, with the revert data and the decoded reason. */
export function revertError(data: Uint8Array): ExecutorError {
  const reason = revertReason(data)
  return new ExecutorError(
    'ErrExecutionReverted',
    reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`,
    { data },
  )
}

/** The reason string of Solidity's `Error(string)` revert data, if that is what it is. */
export function revertReason(data: Uint8Array): string | undefined {
  if (
    data.length < 68 ||
    data[0] !== 0x08 ||
    data[1] !== 0xc3 ||
    data[2] !== 0x79 ||
    data[3] !== 0xa0
  )
    return undefined
  const word = (at: number) => {
    let v = 0n
    for (let i = at; i < at + 32; i++) v = (v << 8n) | BigInt(data[i] as number)
    return v
  }
  const offset = Number(word(4))
  if (offset + 36 > data.length) return undefined
  const len = Number(word(4 + offset))
  const start = 4 + offset + 32
  if (start + len > data.length) return undefined
  return new TextDecoder().decode(data.subarray(start, start + len))
}

async function accountBalance(
  state: StateOpener,
  header: BlockHeader,
  address: Uint8Array,
): Promise<bigint> {
  const world = await state.open(header.stateRoot)
  return (await world.getAccount(address))?.balance ?? 0n
}

async function codeSize(state: StateOpener, header: BlockHeader, address: Uint8Array) {
  const world = await state.open(header.stateRoot)
  const acc = await world.getAccount(address)
  if (!acc) return 0
  return equalBytes(acc.codeHash, EMPTY_CODE_HASH) ? 0 : 1
}

async function applyOverrides(
  adapter: StateAdapter,
  overrides: ReadonlyMap<string, AccountOverride>,
): Promise<void> {
  for (const [key, o] of overrides) {
    const bytes = hexToAddress(key)
    const address = new Address(bytes)
    if (o.state && o.stateDiff)
      throw new ExecutorError('ErrInvalidTx', `account ${key} has both 'state' and 'stateDiff'`)
    const acc = (await adapter.readAccount(hexKey(bytes), bytes)) ?? {
      nonce: 0n,
      balance: 0n,
      storageRoot: hexBytes(EMPTY_ROOT_HEX),
      codeHash: EMPTY_CODE_HASH,
    }
    adapter.writeAccount(hexKey(bytes), bytes, {
      ...acc,
      ...(o.balance !== undefined ? { balance: o.balance } : {}),
      ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
    })
    if (o.code) await adapter.putCode(address, o.code)
    if (o.state) {
      await adapter.clearStorage(address)
      for (const [slot, value] of o.state) await adapter.putStorage(address, slot, value)
    }
    for (const [slot, value] of o.stateDiff ?? []) await adapter.putStorage(address, slot, value)
  }
}

const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))
function hexToAddress(key: string): Uint8Array {
  const h = key.startsWith('0x') ? key.slice(2) : key
  if (!/^[0-9a-fA-F]{40}$/.test(h))
    throw new ExecutorError('ErrInvalidTx', `invalid address in state override: ${key}`)
  return hexBytes(h)
}

/** The unsigned transaction a call stands for (go-ethereum's `TransactionArgs.ToMessage`). */
function messageTx(
  i: CallInput,
  gas: bigint,
  chainId: bigint,
  nonce: bigint,
  london: boolean,
): Transaction {
  const type: TxType = i.authorizationList?.length
    ? 4
    : i.blobVersionedHashes?.length
      ? 3
      : london && (i.maxFeePerGas !== undefined || i.maxPriorityFeePerGas !== undefined)
        ? 2
        : i.accessList?.length
          ? 1
          : 0
  const common = {
    nonce: i.nonce ?? nonce,
    gasLimit: gas,
    to: i.to ?? null,
    value: i.value ?? 0n,
    data: i.data ?? new Uint8Array(0),
    r: 0n,
    s: 0n,
  }
  if (type === 0)
    return Transaction.fromData({ type, ...common, gasPrice: i.gasPrice ?? 0n, v: 27n })
  const fees =
    type === 1
      ? { gasPrice: i.gasPrice ?? 0n }
      : {
          maxFeePerGas: i.maxFeePerGas ?? i.gasPrice ?? 0n,
          maxPriorityFeePerGas: i.maxPriorityFeePerGas ?? i.gasPrice ?? 0n,
        }
  return Transaction.fromData({
    type,
    chainId,
    ...common,
    ...fees,
    accessList: i.accessList ?? [],
    ...(type === 3
      ? { blobVersionedHashes: i.blobVersionedHashes, maxFeePerBlobGas: i.maxFeePerBlobGas ?? 0n }
      : {}),
    ...(type === 4 ? { authorizationList: i.authorizationList } : {}),
    v: 0n,
  })
}
