/**
 * JSON-RPC handlers of the account methods, ready for the node's method table: each takes the
 * positional `params` array and resolves to the JSON result. Errors are {@link AccountsError}s;
 * map `ErrInvalidParams` to -32602 and every other code to -32000 with `err.message` (which is
 * go-ethereum's text for the same failure).
 */
import { bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { parseAddress } from './address.js'
import { defaultUnlockDurationMs } from './constants.js'
import { AccountsError } from './errors.js'
import type { AccountManager } from './manager.js'
import { decodeSignature, recoverTextSigner, signText, signTypedData } from './sign.js'
import {
  type FillOptions,
  parseTransactionArgs,
  prepareTransaction,
  type SignedTransaction,
  type TxFillBackend,
} from './tx.js'

/** A handler of one method (the shape of the node's `RpcHandler`). */
export type AccountRpcHandler = (params: unknown[]) => Promise<unknown>

/** What the handlers need. */
export interface AccountRpcDeps {
  manager: AccountManager
  /** Nonce, gas, fees and chain id for `eth_sendTransaction` / `eth_signTransaction`. */
  backend: TxFillBackend
  /** Hands a signed transaction to the pool (`eth_sendTransaction`); rejects to refuse it. */
  submit(tx: Transaction): Promise<void>
  /**
   * The `tx` object of `eth_signTransaction`'s result; `from` is the signer. Default
   * {@link formatPendingTransaction}; the node can pass its own `formatTransaction`.
   */
  formatTransaction?(tx: Transaction, from: Uint8Array): unknown
  /**
   * Whether `personal_unlockAccount` may unlock. go-ethereum refuses it when HTTP RPC is on
   * without `--allow-insecure-unlock`; say false there. Default true.
   */
  unlockAllowed?: boolean
  /** Fee cap of sent transactions (`--rpc.txfeecap`), default 1 ether; 0n for none. */
  txFeeCapWei?: bigint
}

const invalidParams = (message: string): AccountsError =>
  new AccountsError('ErrInvalidParams', message)

function addressParam(params: unknown[], i: number): Uint8Array {
  const v = params[i]
  const a = typeof v === 'string' && v.startsWith('0x') ? parseAddress(v) : undefined
  if (a === undefined) {
    throw invalidParams(`invalid argument ${i}: expected a 0x-prefixed 20-byte address`)
  }
  return a
}

function bytesParam(params: unknown[], i: number): Uint8Array {
  const v = params[i]
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) {
    throw invalidParams(`invalid argument ${i}: must be 0x-prefixed hex bytes`)
  }
  return Uint8Array.from(Buffer.from(v.slice(2), 'hex'))
}

function stringParam(params: unknown[], i: number): string {
  const v = params[i]
  if (typeof v !== 'string') throw invalidParams(`invalid argument ${i}: must be a string`)
  return v
}

const optionalString = (params: unknown[], i: number): string | undefined =>
  params[i] === undefined || params[i] === null ? undefined : stringParam(params, i)

const hex = (b: Uint8Array): string => bytesToHex(b)
const quantity = (v: bigint): string => `0x${v.toString(16)}`

/**
 * The JSON form of a signed transaction that is in no block yet (go-ethereum's
 * `RPCTransaction` with null block fields).
 */
export function formatPendingTransaction(
  tx: Transaction,
  from: Uint8Array,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    blockHash: null,
    blockNumber: null,
    from: hex(from),
    gas: quantity(tx.gasLimit),
    hash: hex(tx.hash),
    input: hex(tx.data),
    nonce: quantity(tx.nonce),
    to: tx.to === null ? null : hex(tx.to),
    transactionIndex: null,
    value: quantity(tx.value),
    type: quantity(BigInt(tx.type)),
    v: quantity(tx.v),
    r: quantity(tx.r),
    s: quantity(tx.s),
  }
  if (tx.chainId !== undefined) out.chainId = quantity(tx.chainId)
  if (tx.gasPrice !== undefined) out.gasPrice = quantity(tx.gasPrice)
  if (tx.maxFeePerGas !== undefined) {
    out.maxFeePerGas = quantity(tx.maxFeePerGas)
    out.maxPriorityFeePerGas = quantity(tx.maxPriorityFeePerGas ?? 0n)
    out.gasPrice = quantity(tx.maxFeePerGas)
  }
  if (tx.accessList !== undefined) {
    out.accessList = tx.accessList.map((e) => ({
      address: hex(e.address),
      storageKeys: e.storageKeys.map(hex),
    }))
  }
  if (tx.type !== 0) out.yParity = quantity(BigInt(tx.recovery))
  return out
}

function unlockDurationMs(v: unknown): number {
  if (v === undefined || v === null) return defaultUnlockDurationMs
  let seconds: number
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) seconds = v
  else if (typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v)) seconds = Number(BigInt(v))
  else throw invalidParams('invalid argument 2: duration must be a non-negative number of seconds')
  const ms = seconds * 1000
  if (!Number.isSafeInteger(ms))
    throw new AccountsError('ErrInvalidParams', 'unlock duration too large')
  return ms
}

/** Parses `params[0]` as transaction arguments, fills and signs them (with `password` if given). */
function preparer(deps: AccountRpcDeps) {
  const fill: FillOptions = deps.txFeeCapWei === undefined ? {} : { txFeeCapWei: deps.txFeeCapWei }
  return async (
    params: unknown[],
    mode: 'send' | 'sign',
    password?: string,
  ): Promise<SignedTransaction & { from: Uint8Array }> => {
    const args = parseTransactionArgs(params[0])
    const signed = await prepareTransaction({ signer: deps.manager, backend: deps.backend }, args, {
      ...fill,
      mode,
      ...(password === undefined ? {} : { password }),
    })
    return { ...signed, from: args.from! }
  }
}

/**
 * `eth_accounts`, `eth_sign`, `eth_signTypedData_v4`, `eth_signTransaction`,
 * `eth_sendTransaction`: the methods go-ethereum keeps in the `eth` namespace.
 */
export function ethAccountMethods(deps: AccountRpcDeps): Record<string, AccountRpcHandler> {
  const { manager } = deps
  const format = deps.formatTransaction ?? formatPendingTransaction
  const prepare = preparer(deps)
  return {
    eth_accounts: async () => (await manager.accounts()).map((a) => hex(a.address)),
    eth_sign: async (params) =>
      hex(await signText(manager, addressParam(params, 0), bytesParam(params, 1))),
    eth_signTypedData_v4: async (params) =>
      hex(await signTypedData(manager, addressParam(params, 0), params[1])),
    eth_signTransaction: async (params) => {
      const { tx, raw, from } = await prepare(params, 'sign')
      return { raw: hex(raw), tx: format(tx, from) }
    },
    eth_sendTransaction: async (params) => {
      const { tx } = await prepare(params, 'send')
      await deps.submit(tx)
      return hex(tx.hash)
    },
  }
}

/**
 * The `personal` namespace go-ethereum had until 1.14 (still what dev tooling calls):
 * `personal_listAccounts`, `personal_newAccount`, `personal_importRawKey`,
 * `personal_unlockAccount` (duration in seconds, default 300, 0 until locked),
 * `personal_lockAccount`, `personal_sign`, `personal_ecRecover`, `personal_signTransaction`,
 * `personal_sendTransaction` (the last two take the password and do not unlock).
 */
export function personalAccountMethods(deps: AccountRpcDeps): Record<string, AccountRpcHandler> {
  const { manager } = deps
  const format = deps.formatTransaction ?? formatPendingTransaction
  const prepare = preparer(deps)
  const prepareWithPassword = (params: unknown[], mode: 'send' | 'sign') =>
    prepare(params, mode, stringParam(params, 1))
  return {
    personal_listAccounts: async () => (await manager.accounts()).map((a) => hex(a.address)),
    personal_newAccount: async (params) =>
      hex((await manager.newAccount(stringParam(params, 0))).address),
    personal_importRawKey: async (params) => {
      const text = stringParam(params, 0)
      const s = text.startsWith('0x') ? text.slice(2) : text
      if (!/^[0-9a-fA-F]{64}$/.test(s))
        throw invalidParams('invalid argument 0: 32-byte hex key expected')
      const key = Uint8Array.from(Buffer.from(s, 'hex'))
      try {
        return hex((await manager.importKey(key, stringParam(params, 1))).address)
      } finally {
        key.fill(0)
      }
    },
    personal_unlockAccount: async (params) => {
      if (deps.unlockAllowed === false) {
        throw new AccountsError('ErrUnlockForbidden')
      }
      const address = addressParam(params, 0)
      const password = stringParam(params, 1)
      await manager.unlock(address, password, unlockDurationMs(params[2]))
      return true
    },
    personal_lockAccount: async (params) => {
      manager.lock(addressParam(params, 0))
      return true
    },
    personal_sign: async (params) => {
      const password = optionalString(params, 2)
      return hex(
        await signText(
          manager,
          addressParam(params, 1),
          bytesParam(params, 0),
          password === undefined ? {} : { password },
        ),
      )
    },
    personal_ecRecover: async (params) => {
      const sig = bytesParam(params, 1)
      decodeSignature(sig) // length and v checks first, with their messages
      return hex(recoverTextSigner(bytesParam(params, 0), sig))
    },
    personal_signTransaction: async (params) => {
      const { tx, raw, from } = await prepareWithPassword(params, 'sign')
      return { raw: hex(raw), tx: format(tx, from) }
    },
    personal_sendTransaction: async (params) => {
      const { tx } = await prepareWithPassword(params, 'send')
      await deps.submit(tx)
      return hex(tx.hash)
    },
  }
}
