/**
 * `eth_*` on a block's state and execution: balances, nonces, code, storage, receipts, `eth_call`,
 * `eth_estimateGas`, fee suggestions. Block parameters: `latest`, `earliest`, `pending` (the head:
 * no pending block here), `safe` and `finalized` (what the last forkchoice set; an error on a chain
 * without one, as go-ethereum), a number, or a block hash (EIP-1898 objects too).
 */
import { isExecutorError, revertReason } from '@ethwire/executor'
import { type BlockHeader, bytesToHex, equalBytes } from '@ethwire/rlp-wire'
import type { Backend, BackendCall } from '../backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../dispatch.js'
import {
  addressParam,
  type BlockRef,
  blockRefParam,
  data,
  invalid,
  param,
  qty,
  quantity,
  slotParam,
} from '../params.js'
import { blockOverridesParam, stateOverridesParam } from './overrides.js'
import { finalityHeader } from './refs.js'

/** Most storage keys one eth_getStorageValues / eth_getProof request reads. */
const storageValuesMaxKeys = 1024
/** Most runs eth_createAccessList makes before the list settles. */
const createAccessListMaxRounds = 10

const serverError = (message: string, data?: unknown) =>
  new RpcError(RpcErrorCode.Server, message, data)

/** The header a block parameter names; `header not found` (go-ethereum's words) when it has none. */
export async function headerOf(b: Backend, ref: BlockRef): Promise<BlockHeader> {
  let header: BlockHeader | undefined
  if ('tag' in ref) {
    if (ref.tag === 'earliest') header = await b.headerByNumber(0n)
    else if (ref.tag === 'safe' || ref.tag === 'finalized') header = finalityHeader(b, ref.tag)
    else header = b.currentHeader()
  } else if ('number' in ref) header = await b.headerByNumber(ref.number)
  else {
    header = await b.headerByHash(ref.hash)
    if (header && ref.requireCanonical) {
      const canon = await b.canonicalHash(header.number)
      if (!canon || !equalBytes(canon, header.hash))
        throw serverError(`hash ${bytesToHex(ref.hash)} is not currently canonical`)
    }
  }
  if (!header) throw serverError('header not found')
  return header
}

/** The header of a block parameter whose state is stored. */
async function stateHeader(b: Backend, ref: BlockRef): Promise<BlockHeader> {
  const header = await headerOf(b, ref)
  if (!(await b.hasState(header)))
    throw serverError(
      `missing trie node ${bytesToHex(header.stateRoot)} (state of block ${header.number} not stored)`,
    )
  return header
}

/** A transaction call object (go-ethereum's `TransactionArgs`) → the executor's call input. */
/**
 * The call object of params[0] on the state of params[1], with the state overrides of
 * params[2] and (eth_call, eth_estimateGas) the block overrides of params[3].
 */
async function callInput(
  b: Backend,
  params: unknown[],
  withBlockOverrides: boolean,
): Promise<BackendCall> {
  const header = await stateHeader(b, blockRefParam(params, 1))
  const input = callArgs(param(params, 0, 'args'), header)
  const stateOverrides = stateOverridesParam(params, 2)
  const blockOverrides = withBlockOverrides ? blockOverridesParam(params, 3) : undefined
  return {
    ...input,
    ...(stateOverrides ? { stateOverrides } : {}),
    ...(blockOverrides ? { blockOverrides } : {}),
  }
}

export function callArgs(v: unknown, header: BlockHeader): BackendCall {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    invalid('invalid argument 0: transaction call object expected')
  const o = v as Record<string, unknown>
  const opt = <T>(k: string, f: (x: unknown, what: string) => T): T | undefined =>
    o[k] === undefined || o[k] === null ? undefined : f(o[k], k)
  const addr = (x: unknown, what: string) => {
    const d = data(x, what)
    if (d.length !== 20) invalid(`invalid argument 0: ${what}: hex string of 20 bytes expected`)
    return d
  }
  const input = opt('input', data)
  const dataField = opt('data', data)
  if (input && dataField && !equalBytes(input, dataField))
    invalid(
      `both "data" and "input" are set and not equal. Please use "input" to pass transaction call data`,
    )
  const gasPrice = opt('gasPrice', quantity)
  const maxFeePerGas = opt('maxFeePerGas', quantity)
  const maxPriorityFeePerGas = opt('maxPriorityFeePerGas', quantity)
  if (gasPrice !== undefined && (maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined))
    invalid('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  const accessList = opt('accessList', (x) => {
    if (!Array.isArray(x)) invalid('invalid argument 0: accessList: list expected')
    return x.map((e: { address?: unknown; storageKeys?: unknown }) => ({
      address: addr(e?.address, 'accessList.address'),
      storageKeys: (Array.isArray(e?.storageKeys) ? e.storageKeys : []).map((k: unknown) =>
        data(k, 'accessList.storageKeys'),
      ),
    }))
  })
  return {
    header,
    from: opt('from', addr),
    to: opt('to', addr) ?? null,
    gas: opt('gas', quantity),
    gasPrice,
    maxFeePerGas,
    maxPriorityFeePerGas,
    value: opt('value', quantity),
    data: input ?? dataField,
    nonce: opt('nonce', quantity),
    accessList,
  }
}

/** go-ethereum's revert error: code 3, `execution reverted[: reason]`, the revert data. */
function revertedError(returnData: Uint8Array): RpcError {
  const reason = revertReason(returnData)
  return new RpcError(
    RpcErrorCode.ExecutionReverted,
    reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`,
    bytesToHex(returnData),
  )
}

/** An executor error's message without its code prefix (`ErrInvalidTx: …`). */
const plain = (message: string) => message.replace(/^Err[A-Za-z]+: /, '')

/**
 * An executor failure as go-ethereum answers it: a revert is error 3 with the reason and the data,
 * any other executor error -32000 in its plain words; anything else is rethrown as it is.
 */
export function executionError(err: unknown): never {
  if (isExecutorError(err, 'ErrExecutionReverted'))
    throw revertedError(err.details.data ?? new Uint8Array(0))
  if (isExecutorError(err)) throw serverError(plain(err.message))
  throw err
}

export function stateMethods(b: Backend): RpcMethods {
  return {
    eth_getBalance: async (params) => {
      const a = addressParam(params, 0)
      return qty(await b.balance(a, await stateHeader(b, blockRefParam(params, 1))))
    },
    eth_getTransactionCount: async (params) => {
      const a = addressParam(params, 0)
      const ref = blockRefParam(params, 1)
      if ('tag' in ref && ref.tag === 'pending') return qty(await b.pendingNonce(a))
      return qty(await b.nonce(a, await stateHeader(b, ref)))
    },
    eth_getCode: async (params) => {
      const a = addressParam(params, 0)
      return bytesToHex(await b.code(a, await stateHeader(b, blockRefParam(params, 1))))
    },
    eth_getStorageAt: async (params) => {
      const a = addressParam(params, 0)
      const slot = slotParam(params, 1)
      return bytesToHex(await b.storage(a, slot, await stateHeader(b, blockRefParam(params, 2))))
    },
    eth_getStorageValues: async (params) => {
      const req = param(params, 0, 'requests')
      if (typeof req !== 'object' || req === null || Array.isArray(req))
        invalid('invalid argument 0: map of address to storage keys expected')
      const entries = Object.entries(req as Record<string, unknown>)
      if (entries.length === 0) invalid('empty request')
      let total = 0
      const parsed = entries.map(([a, keys]) => {
        const address = addressParam([a], 0)
        if (!Array.isArray(keys)) invalid('invalid argument 0: list of storage keys expected')
        total += keys.length
        if (total > storageValuesMaxKeys)
          invalid(`too many storage keys requested (max ${storageValuesMaxKeys})`)
        return { a, address, slots: keys.map((_k, i) => slotParam(keys, i)) }
      })
      const header = await stateHeader(b, blockRefParam(params, 1))
      const out: Record<string, string[]> = {}
      for (const { a, address, slots } of parsed) {
        const values: string[] = []
        for (const slot of slots) values.push(bytesToHex(await b.storage(address, slot, header)))
        out[a] = values
      }
      return out
    },
    eth_getProof: async (params) => {
      const address = addressParam(params, 0)
      const keys = param(params, 1, 'storageKeys')
      if (!Array.isArray(keys)) invalid('invalid argument 1: list of storage keys expected')
      if (keys.length > storageValuesMaxKeys)
        invalid(`too many storage keys requested (max ${storageValuesMaxKeys})`)
      const slots = keys.map((_k, i) => slotParam(keys, i))
      const header = await stateHeader(b, blockRefParam(params, 2))
      const p = await b.proof(address, slots, header)
      return {
        address: bytesToHex(address),
        accountProof: p.accountProof.map((n) => bytesToHex(n)),
        balance: qty(p.balance),
        codeHash: bytesToHex(p.codeHash),
        nonce: qty(p.nonce),
        storageHash: bytesToHex(p.storageHash),
        storageProof: p.storageProof.map((s, i) => ({
          // go-ethereum: a full 32-byte key as given, a shorter one as a quantity
          key: String(keys[i]).length === 66 ? bytesToHex(s.key) : qty(BigInt(String(keys[i]))),
          value: qty(s.value),
          proof: s.proof.map((n) => bytesToHex(n)),
        })),
      }
    },
    eth_call: async (params) => {
      const input = await callInput(b, params, true)
      let res: Awaited<ReturnType<Backend['call']>>
      try {
        res = await b.call(input)
      } catch (err) {
        executionError(err)
      }
      if (res.success) return bytesToHex(res.returnData)
      if (res.error === 'execution reverted') throw revertedError(res.returnData)
      throw serverError(res.error ?? 'execution failed')
    },
    // go-ethereum's AccessList: run with the list found so far until it stops changing
    eth_createAccessList: async (params) => {
      const input = await callInput(b, params, false)
      let list = input.accessList ?? []
      const key = (l: typeof list) =>
        JSON.stringify(l.map((e) => [bytesToHex(e.address), e.storageKeys.map(bytesToHex)]))
      for (let i = 0; i < createAccessListMaxRounds; i++) {
        let res: Awaited<ReturnType<Backend['call']>>
        try {
          res = await b.call({ ...input, accessList: list, reportAccessList: true })
        } catch (err) {
          if (isExecutorError(err, 'ErrExecutionReverted') || !isExecutorError(err)) throw err
          throw serverError(`failed to apply transaction: ${plain(err.message)}`)
        }
        const found = res.accessList ?? []
        if (key(found) === key(list) || i === createAccessListMaxRounds - 1)
          return {
            accessList: found.map((e) => ({
              address: bytesToHex(e.address),
              storageKeys: e.storageKeys.map((k) => bytesToHex(k)),
            })),
            ...(res.success ? {} : { error: res.error ?? 'execution failed' }),
            gasUsed: qty(res.gasUsed),
          }
        list = found
      }
    },
    eth_estimateGas: async (params) => {
      const input = await callInput(b, params, true)
      try {
        return qty(await b.estimateGas(input))
      } catch (err) {
        executionError(err)
      }
    },
    eth_maxPriorityFeePerGas: async () => qty(await b.suggestTip()),
    eth_gasPrice: async () => {
      const tip = await b.suggestTip()
      return qty(tip + (b.currentHeader().baseFee ?? 0n))
    },
  }
}
