/**
 * `eth_sendTransaction` / `eth_signTransaction`: transaction arguments from JSON, the defaults
 * go-ethereum's `TransactionArgs.setDefaults` fills (fees, value, nonce, gas, chain id), and
 * signing into an rlp-wire {@link Transaction}: EIP-1559 (type 2) by default, legacy with EIP-155
 * when `gasPrice` is given (EIP-2930, type 1, when it comes with an access list).
 */
import type { Signature } from '@ethwire/crypto'
import { type AccessListEntry, Transaction, type TxData } from '@ethwire/rlp-wire'
import { parseAddress } from './address.js'
import { defaultTxFeeCapWei } from './constants.js'
import { AccountsError } from './errors.js'
import type { SignOptions } from './manager.js'
import type { HashSigner } from './sign.js'

/** The arguments of `eth_sendTransaction` / `eth_signTransaction`, decoded. */
export interface TransactionArgs {
  from?: Uint8Array
  /** Absent or null: contract creation. */
  to?: Uint8Array | null
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  nonce?: bigint
  /** Call data; `input` is the newer name, `data` the older (both may be given if equal). */
  input?: Uint8Array
  data?: Uint8Array
  accessList?: AccessListEntry[]
  chainId?: bigint
}

/** What gas estimation is asked about (the arguments without nonce or gas, data merged). */
export interface CallArgs {
  from: Uint8Array
  to: Uint8Array | null
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value: bigint
  data: Uint8Array
  accessList?: AccessListEntry[]
}

/**
 * What filling needs from the node (the RPC backend implements it over the chain, txpool and
 * executor).
 */
export interface TxFillBackend {
  /** The next nonce of `address` counting the pool's pending transactions (txpool nonce). */
  nonceAt(address: Uint8Array, block: 'pending'): Promise<bigint>
  /** Gas `call` needs on the pending state (executor `estimateGas`). */
  estimateGas(call: CallArgs): Promise<bigint>
  /** Suggested priority fee (`eth_maxPriorityFeePerGas`); before London the gas price. */
  suggestTip(): Promise<bigint>
  /** Base fee of the head block; undefined before London. */
  baseFee(): Promise<bigint | undefined>
  /** The chain id (EIP-155). */
  chainId(): bigint | Promise<bigint>
}

/** A transaction ready to sign: everything but v, r and s. */
export type UnsignedTx = Omit<TxData, 'v' | 'r' | 's'>

/** Options of {@link fillTransaction}. */
export interface FillOptions {
  /**
   * `'send'` (default) fills everything missing; `'sign'` is `eth_signTransaction`, which as in
   * go-ethereum needs gas, a fee and the nonce given.
   */
  mode?: 'send' | 'sign'
  /** Largest fee (gas × fee cap) accepted, go-ethereum's `--rpc.txfeecap`; 0n: no cap. 1 ether by default. */
  txFeeCapWei?: bigint
}

const invalidTx = (message: string): AccountsError =>
  new AccountsError('ErrInvalidTransaction', message)

const maxUint64 = (1n << 64n) - 1n

function callData(args: TransactionArgs): Uint8Array {
  const { input, data } = args
  if (input !== undefined && data !== undefined) {
    const same = input.length === data.length && input.every((b, i) => b === data[i])
    if (!same) {
      throw invalidTx(
        'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
      )
    }
  }
  return input ?? data ?? new Uint8Array(0)
}

/** Fills the fee fields as go-ethereum's `setFeeDefaults`; returns the fee fields to use. */
async function feeDefaults(
  backend: TxFillBackend,
  args: TransactionArgs,
): Promise<Pick<TransactionArgs, 'gasPrice' | 'maxFeePerGas' | 'maxPriorityFeePerGas'>> {
  const { gasPrice, maxFeePerGas, maxPriorityFeePerGas } = args
  if (
    gasPrice !== undefined &&
    (maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined)
  ) {
    throw invalidTx('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  if (maxFeePerGas !== undefined && maxPriorityFeePerGas !== undefined) {
    if (maxFeePerGas === 0n) throw invalidTx('maxFeePerGas must be non-zero')
    if (maxFeePerGas < maxPriorityFeePerGas) {
      throw invalidTx(
        `maxFeePerGas (${maxFeePerGas}) < maxPriorityFeePerGas (${maxPriorityFeePerGas})`,
      )
    }
    return { maxFeePerGas, maxPriorityFeePerGas }
  }
  const baseFee = await backend.baseFee()
  if (gasPrice !== undefined) {
    if (gasPrice === 0n && baseFee !== undefined) {
      throw invalidTx('gasPrice must be non-zero after EIP-1559 fork')
    }
    return { gasPrice }
  }
  if (baseFee === undefined) {
    if (maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined) {
      throw invalidTx(
        'maxFeePerGas and maxPriorityFeePerGas are not valid before EIP-1559 is active',
      )
    }
    return { gasPrice: await backend.suggestTip() }
  }
  const tip = maxPriorityFeePerGas ?? (await backend.suggestTip())
  // Twice the base fee plus the tip: the transaction stays includable while the base fee rises.
  const feeCap = maxFeePerGas ?? tip + 2n * baseFee
  if (feeCap < tip) throw invalidTx(`maxFeePerGas (${feeCap}) < maxPriorityFeePerGas (${tip})`)
  return { maxFeePerGas: feeCap, maxPriorityFeePerGas: tip }
}

/** go-ethereum's `checkTxFee`: gas × fee cap must not pass `capWei` (0n: no cap). */
export function checkTxFee(tx: UnsignedTx, capWei: bigint): void {
  if (capWei === 0n) return
  const price = tx.gasPrice ?? tx.maxFeePerGas ?? 0n
  const fee = price * tx.gasLimit
  if (fee > capWei) {
    const ether = (wei: bigint) => (Number(wei / 10n ** 14n) / 1e4).toFixed(2)
    throw invalidTx(
      `tx fee (${ether(fee)} ether) exceeds the configured cap (${ether(capWei)} ether)`,
    )
  }
}

/**
 * The unsigned transaction `args` stand for, with what is missing filled from `backend`: fees
 * (tip = suggestTip, maxFeePerGas = 2 × baseFee + tip; legacy gasPrice = suggestTip before
 * London), value 0, the pending nonce, the estimated gas and the chain id (a given chain id must
 * match). Type 2 unless `gasPrice` is given: then 0, or 1 with an access list.
 * `ErrInvalidTransaction` with go-ethereum's messages.
 */
export async function fillTransaction(
  backend: TxFillBackend,
  args: TransactionArgs,
  options: FillOptions = {},
): Promise<UnsignedTx> {
  const from = args.from
  if (from === undefined) throw invalidTx('from address not specified')
  if (options.mode === 'sign') {
    if (args.gas === undefined) throw invalidTx('gas not specified')
    if (
      args.gasPrice === undefined &&
      (args.maxPriorityFeePerGas === undefined || args.maxFeePerGas === undefined)
    ) {
      throw invalidTx('missing gasPrice or maxFeePerGas/maxPriorityFeePerGas')
    }
    if (args.nonce === undefined) throw invalidTx('nonce not specified')
  }
  const fees = await feeDefaults(backend, args)
  const value = args.value ?? 0n
  const nonce = args.nonce ?? (await backend.nonceAt(from, 'pending'))
  const data = callData(args)
  const to = args.to ?? null
  if (to === null && data.length === 0)
    throw invalidTx('contract creation without any data provided')
  let gasLimit = args.gas
  if (gasLimit === undefined) {
    const call: CallArgs = { from, to, value, data, ...fees }
    if (args.accessList !== undefined) call.accessList = args.accessList
    gasLimit = await backend.estimateGas(call)
  }
  if (nonce < 0n || nonce > maxUint64) throw invalidTx('nonce does not fit 64 bits')
  if (gasLimit < 0n || gasLimit > maxUint64) throw invalidTx('gas does not fit 64 bits')
  const want = await backend.chainId()
  if (args.chainId !== undefined && args.chainId !== want) {
    throw invalidTx(`chainId does not match node's (have=${args.chainId}, want=${want})`)
  }
  const common = { chainId: want, nonce, gasLimit, to, value, data }
  let tx: UnsignedTx
  if (fees.maxFeePerGas !== undefined) {
    tx = {
      type: 2,
      ...common,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
      accessList: args.accessList ?? [],
    }
  } else if (args.accessList !== undefined) {
    tx = { type: 1, ...common, gasPrice: fees.gasPrice!, accessList: args.accessList }
  } else {
    tx = { type: 0, ...common, gasPrice: fees.gasPrice! }
  }
  checkTxFee(tx, options.txFeeCapWei ?? defaultTxFeeCapWei)
  return tx
}

/** Puts a signature into an unsigned transaction (legacy: EIP-155 v when it has a chain id). */
export function withSignature(tx: UnsignedTx, sig: Signature): Transaction {
  const rec = BigInt(sig.recovery)
  const v = tx.type !== 0 ? rec : tx.chainId !== undefined ? 35n + 2n * tx.chainId + rec : 27n + rec
  return Transaction.fromData({ ...tx, v, r: sig.r, s: sig.s })
}

/** The hash a transaction's sender signs (rlp-wire's `sigHash` of the unsigned form). */
export function txSigHash(tx: UnsignedTx): Uint8Array {
  const placeholderV = tx.type === 0 && tx.chainId !== undefined ? 35n + 2n * tx.chainId : 27n
  return Transaction.fromData({
    ...tx,
    v: tx.type === 0 ? placeholderV : 0n,
    r: 1n,
    s: 1n,
  }).sigHash()
}

/** Signs `tx` as `from` (unlocked, or with `options.password`). */
export async function signTransaction(
  signer: HashSigner,
  from: Uint8Array,
  tx: UnsignedTx,
  options?: SignOptions,
): Promise<Transaction> {
  return withSignature(tx, await signer.signHash(from, txSigHash(tx), options))
}

/** What the two RPC methods need: the signed transaction and its binary (consensus) form. */
export interface SignedTransaction {
  tx: Transaction
  /** `eth_signTransaction`'s `raw`; what `eth_sendRawTransaction` takes. */
  raw: Uint8Array
}

/**
 * `eth_sendTransaction` and `eth_signTransaction` up to the pool: fill (`options.mode`), check the
 * fee cap, sign as `args.from`. The caller submits `tx` to the pool (send) or returns `raw` and
 * `tx` (sign).
 */
export async function prepareTransaction(
  deps: { signer: HashSigner; backend: TxFillBackend },
  args: TransactionArgs,
  options: FillOptions & SignOptions = {},
): Promise<SignedTransaction> {
  const unsigned = await fillTransaction(deps.backend, args, options)
  const signOptions = options.password === undefined ? {} : { password: options.password }
  const tx = await signTransaction(deps.signer, args.from!, unsigned, signOptions)
  return { tx, raw: tx.encode() }
}

function quantity(v: unknown, field: string): bigint | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) {
    throw invalidTx(`invalid argument: ${field} must be a 0x-prefixed hex quantity`)
  }
  const n = BigInt(v)
  if (n >= 1n << 256n) throw invalidTx(`invalid argument: ${field} is larger than 256 bits`)
  return n
}

function hexBytes(v: unknown, field: string): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) {
    throw invalidTx(`invalid argument: ${field} must be 0x-prefixed hex bytes`)
  }
  return Uint8Array.from(Buffer.from(v.slice(2), 'hex'))
}

function address(v: unknown, field: string): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined
  const a = typeof v === 'string' ? parseAddress(v) : undefined
  if (a === undefined || !String(v).startsWith('0x')) {
    throw invalidTx(`invalid argument: ${field} must be a 0x-prefixed 20-byte address`)
  }
  return a
}

function accessList(v: unknown): AccessListEntry[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) throw invalidTx('invalid argument: accessList must be an array')
  return v.map((e: unknown, i) => {
    const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>
    const a = address(o.address, `accessList[${i}].address`)
    if (a === undefined) throw invalidTx(`invalid argument: accessList[${i}].address missing`)
    const keys = o.storageKeys ?? []
    if (!Array.isArray(keys)) throw invalidTx(`invalid argument: accessList[${i}].storageKeys`)
    return {
      address: a,
      storageKeys: keys.map((k: unknown, j) => {
        const b = hexBytes(k, `accessList[${i}].storageKeys[${j}]`)
        if (b === undefined || b.length !== 32) {
          throw invalidTx(`invalid argument: accessList[${i}].storageKeys[${j}] must be 32 bytes`)
        }
        return b
      }),
    }
  })
}

/** Decodes the JSON object `eth_sendTransaction` / `eth_signTransaction` take. */
export function parseTransactionArgs(json: unknown): TransactionArgs {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidTx('invalid argument: transaction arguments must be an object')
  }
  const o = json as Record<string, unknown>
  const out: TransactionArgs = {}
  const from = address(o.from, 'from')
  if (from !== undefined) out.from = from
  if (o.to === null) out.to = null
  else {
    const to = address(o.to, 'to')
    if (to !== undefined) out.to = to
  }
  for (const f of [
    'gas',
    'gasPrice',
    'maxFeePerGas',
    'maxPriorityFeePerGas',
    'value',
    'nonce',
    'chainId',
  ] as const) {
    const q = quantity(o[f], f)
    if (q !== undefined) out[f] = q
  }
  const input = hexBytes(o.input, 'input')
  if (input !== undefined) out.input = input
  const data = hexBytes(o.data, 'data')
  if (data !== undefined) out.data = data
  const al = accessList(o.accessList)
  if (al !== undefined) out.accessList = al
  return out
}
