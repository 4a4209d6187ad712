/**
 * One transaction over the EVM (go-ethereum's `core/state_transition.go`): validity checks, gas
 * purchase, EIP-2930 warm-up, EIP-7702 authorizations, the call, refunds (EIP-3529), the calldata
 * floor (EIP-7623), fee payment, self-destructs and EIP-158 cleanup. Receipt fields come back.
 */
import type { EVM } from '@ethereumjs/evm'
import { Address } from '@ethereumjs/util'
import { recoverAddress } from '@ethwire/crypto'
import {
  authorizationSigHash,
  concatBytes,
  hexToBytes,
  keccak256,
  type Log,
  type Transaction,
} from '@ethwire/rlp-wire'
import { EMPTY_CODE_HASH, hexKey, type StateAdapter } from './adapter.js'
import type { Rules } from './config.js'
import { gasPerBlob, maxBlobsPerTxOsaka, maxInitCodeBytes, maxTxGasOsaka } from './constants.js'
import { ExecutorError } from './errors.js'

const SECP_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n
const MAX_NONCE = 2n ** 64n - 1n
const DELEGATION_PREFIX = Uint8Array.of(0xef, 0x01, 0x00)
const ZERO_ADDRESS = new Uint8Array(20)

export interface TxEnv {
  rules: Rules
  evm: EVM
  state: StateAdapter
  /** What the EVM sees as the block (EthereumJS's `Block` shape). */
  evmBlock: Parameters<EVM['runCall']>[0]['block']
  coinbase: Uint8Array
  baseFee: bigint | undefined
  blobBaseFee: bigint
  /** Gas left in the block. */
  gasPool: bigint
  /** Warm precompile addresses (hex) for EIP-2929. */
  precompiles: string[]
}

export interface TxResult {
  gasUsed: bigint
  blobGasUsed: bigint
  status: boolean
  logs: Log[]
  /** The address of a created contract. */
  contractAddress?: Uint8Array
  /** What the call returned (the revert data when it reverted). */
  returnValue: Uint8Array
  /** The EVM's error when it failed (`revert`, `out of gas`, …). */
  error?: string
  /** Gas refunded (already taken off `gasUsed`). */
  refund: bigint
  /**
   * With `reportAccessList`: the addresses and slots the transaction accessed (hex, no 0x), the
   * sender, recipient, coinbase and precompiles left out unless a slot of theirs was accessed.
   */
  accessList?: Map<string, Set<string>>
}

/** How a transaction is checked: `call` is `eth_call` / `eth_estimateGas` (go-ethereum's skipped checks). */
export interface ApplyOptions {
  /** No nonce equality and no sender-is-an-EOA check; the state's nonce is used. */
  skipAccountChecks?: boolean
  /** Record the accessed addresses and slots (eth_createAccessList). */
  reportAccessList?: boolean
}

const invalid = (msg: string): never => {
  throw new ExecutorError('ErrInvalidTx', msg)
}

/** EIP-55 checksummed `0x` address, as go-ethereum prints it in its transaction errors. */
export function checksummed(lowerHex: string): string {
  const hash = hexKey(keccak256(new TextEncoder().encode(lowerHex)))
  let out = '0x'
  for (let i = 0; i < lowerHex.length; i++) {
    const c = lowerHex[i] as string
    out += Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c
  }
  return out
}

const isDelegation = (code: Uint8Array) =>
  code.length === 23 && code[0] === 0xef && code[1] === 0x01 && code[2] === 0x00

/** go-ethereum's `IntrinsicGas` and, from Prague, the EIP-7623 floor. */
export function intrinsicGas(tx: Transaction, r: Rules): { gas: bigint; floor: bigint } {
  const create = tx.to === null
  let gas = create && r.homestead ? 53000n : 21000n
  let zero = 0n
  const data = tx.data
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zero++
  const nonZero = BigInt(data.length) - zero
  gas += zero * 4n + nonZero * (r.istanbul ? 16n : 68n)
  if (create && r.shanghai) gas += 2n * ((BigInt(data.length) + 31n) / 32n)
  if (tx.accessList) {
    for (const e of tx.accessList) gas += 2400n + 1900n * BigInt(e.storageKeys.length)
  }
  if (tx.authorizationList) gas += 25000n * BigInt(tx.authorizationList.length)
  const floor = r.prague ? 21000n + 10n * (zero + nonZero * 4n) : 0n
  return { gas, floor }
}

/** Price per gas the sender pays and the tip the coinbase gets. */
export function effectiveGasPrice(
  tx: Transaction,
  baseFee: bigint | undefined,
): { price: bigint; tip: bigint } {
  if (tx.type === 0 || tx.type === 1) {
    const p = tx.gasPrice ?? 0n
    return { price: p, tip: baseFee === undefined ? p : p - baseFee }
  }
  const cap = tx.maxFeePerGas ?? 0n
  const tipCap = tx.maxPriorityFeePerGas ?? 0n
  const b = baseFee ?? 0n
  const tip = tipCap < cap - b ? tipCap : cap - b
  return { price: b + tip, tip }
}

/** Checks that need no state: type active, chain id, signature range, caps, blob and 7702 shape. */
export function checkTxStatic(
  tx: Transaction,
  r: Rules,
  env: Pick<TxEnv, 'baseFee' | 'blobBaseFee'>,
): void {
  if (tx.type === 1 && !r.berlin) invalid('access-list transaction before Berlin')
  if (tx.type === 2 && !r.london) invalid('dynamic-fee transaction before London')
  if (tx.type === 3 && !r.cancun) invalid('blob transaction before Cancun')
  if (tx.type === 4 && !r.prague) invalid('set-code transaction before Prague')
  if (tx.type === 0) {
    if (tx.v !== 27n && tx.v !== 28n) {
      if (!r.eip155) invalid('replay-protected transaction before EIP-155')
      if (tx.chainId !== r.chainId) invalid(`invalid chain id ${tx.chainId}`)
    }
  } else if (tx.chainId !== r.chainId) invalid(`invalid chain id ${tx.chainId}`)
  if (r.homestead && tx.s > SECP_HALF_N) invalid('invalid signature: s > n/2 (EIP-2)')
  if (r.osaka && tx.gasLimit > maxTxGasOsaka)
    invalid(`transaction gas limit ${tx.gasLimit} above the cap ${maxTxGasOsaka} (EIP-7825)`)
  if (tx.nonce >= MAX_NONCE) invalid('nonce has max value')
  if (r.london && tx.type >= 2) {
    const cap = tx.maxFeePerGas ?? 0n
    const tip = tx.maxPriorityFeePerGas ?? 0n
    if (cap < tip) invalid(`max priority fee per gas higher than max fee per gas`)
  }
  if (r.london) {
    const cap = tx.type >= 2 ? (tx.maxFeePerGas ?? 0n) : (tx.gasPrice ?? 0n)
    if (cap < (env.baseFee ?? 0n))
      invalid(`max fee per gas less than block base fee: ${cap} < ${env.baseFee}`)
  }
  if (tx.type === 3) {
    const hashes = tx.blobVersionedHashes ?? []
    if (hashes.length === 0) invalid('blob transaction missing blob hashes')
    for (const h of hashes) if (h[0] !== 0x01) invalid('blob with invalid hash version')
    const max = r.blob?.max ?? 0
    if (hashes.length > max) invalid(`too many blobs in transaction: ${hashes.length} > ${max}`)
    if (r.osaka && hashes.length > maxBlobsPerTxOsaka)
      invalid(`too many blobs in transaction: ${hashes.length} > ${maxBlobsPerTxOsaka}`)
    if ((tx.maxFeePerBlobGas ?? 0n) < env.blobBaseFee)
      invalid(`max fee per blob gas less than block blob gas fee`)
  }
  if (tx.type === 4 && (tx.authorizationList ?? []).length === 0)
    invalid('EIP-7702 transaction with empty auth list')
  if (tx.to === null && r.shanghai && tx.data.length > maxInitCodeBytes)
    invalid(`max initcode size exceeded: ${tx.data.length} > ${maxInitCodeBytes}`)
}

/** Applies `tx` from `sender`; throws `ErrInvalidTx` when it cannot be included (state untouched). */
export async function applyTransaction(
  env: TxEnv,
  tx: Transaction,
  sender: Uint8Array,
  opts: ApplyOptions = {},
): Promise<TxResult> {
  const { rules: r, evm, state } = env
  checkTxStatic(tx, r, env)
  if (tx.gasLimit > env.gasPool)
    invalid(`gas limit reached: tx ${tx.gasLimit} > block left ${env.gasPool}`)
  const { gas: intrinsic, floor } = intrinsicGas(tx, r)
  if (tx.gasLimit < intrinsic)
    invalid(`intrinsic gas too low: have ${tx.gasLimit}, want ${intrinsic}`)
  if (tx.gasLimit < floor)
    invalid(`insufficient gas for floor data gas cost: have ${tx.gasLimit}, want ${floor}`)

  const sKey = hexKey(sender)
  const from = (await state.readAccount(sKey, sender)) ?? null
  const nonce = from?.nonce ?? 0n
  const check = !opts.skipAccountChecks
  if (check && tx.nonce < nonce)
    invalid(`nonce too low: address ${checksummed(sKey)}, tx ${tx.nonce} state ${nonce}`)
  if (check && tx.nonce > nonce)
    invalid(`nonce too high: address ${checksummed(sKey)}, tx ${tx.nonce} state ${nonce}`)
  if (check && from && !equalCodeHash(from.codeHash)) {
    const code = r.prague ? await state.codeByHash(from.codeHash) : undefined
    if (!code || !isDelegation(code)) invalid(`sender not an eoa: address ${checksummed(sKey)}`)
  }
  const { price, tip } = effectiveGasPrice(tx, env.baseFee)
  const blobGas = tx.type === 3 ? gasPerBlob * BigInt(tx.blobVersionedHashes?.length ?? 0) : 0n
  const feeCap = tx.type >= 2 ? (tx.maxFeePerGas ?? 0n) : (tx.gasPrice ?? 0n)
  const balanceCheck =
    tx.gasLimit * (r.london ? feeCap : price) + tx.value + blobGas * (tx.maxFeePerBlobGas ?? 0n)
  const balance = from?.balance ?? 0n
  if (balance < balanceCheck)
    invalid(
      `insufficient funds for gas * price + value: address ${checksummed(sKey)} have ${balance} want ${balanceCheck}`,
    )

  // The transaction is valid from here on: it is included whatever the EVM does.
  const journal = evm.journal
  await journal.cleanup()
  await journal.checkpoint()
  const callerAddr = new Address(sender)
  // reporting: the always-warm addresses are in the list too (their slots are recorded under
  // them), and dropped at the end when no slot of theirs was accessed
  const report = opts.reportAccessList === true
  if (report) journal.startReportingAccessList()
  const implicit = new Set<string>()
  if (r.berlin) {
    const warm = (a: string) => {
      if (report) implicit.add(a.replace(/^0x/, '').toLowerCase())
      journal.addAlwaysWarmAddress(a, report)
    }
    for (const p of env.precompiles) warm(p)
    warm(sKey)
    if (tx.to) warm(hexKey(tx.to))
    if (r.shanghai) warm(hexKey(env.coinbase))
    for (const e of tx.accessList ?? []) {
      const a = hexKey(e.address)
      journal.addAlwaysWarmAddress(a, true)
      for (const k of e.storageKeys) journal.addAlwaysWarmSlot(a, hexKey(k), true)
    }
  }
  const account = from ?? {
    nonce: 0n,
    balance: 0n,
    storageRoot: EMPTY_ROOT,
    codeHash: EMPTY_CODE_HASH,
  }
  state.writeAccount(sKey, sender, {
    ...account,
    balance: balance - tx.gasLimit * price - blobGas * env.blobBaseFee,
    nonce: nonce + 1n,
  })
  // Touch the sender for EIP-158 bookkeeping the way a journaled write would.
  await journal.putAccount(callerAddr, await state.getAccount(callerAddr))

  let refund = 0n
  if (tx.type === 4) refund += await applyAuthorizations(env, tx)

  let result: Awaited<ReturnType<EVM['runCall']>>
  try {
    result = await evm.runCall({
      block: env.evmBlock,
      gasPrice: price,
      caller: callerAddr,
      origin: callerAddr,
      gasLimit: tx.gasLimit - intrinsic,
      to: tx.to ? new Address(tx.to) : undefined,
      value: tx.value,
      data: tx.data,
      blobVersionedHashes: tx.type === 3 ? (tx.blobVersionedHashes ?? []).map(toHex) : undefined,
      skipNonceIncrement: true,
    })
  } catch (e) {
    await journal.revert()
    throw e
  }
  const ex = result.execResult
  let gasUsed = intrinsic + ex.executionGasUsed
  refund += ex.gasRefund ?? 0n
  const maxRefund = gasUsed / (r.london ? 5n : 2n)
  gasUsed -= refund < maxRefund ? refund : maxRefund
  if (r.prague && gasUsed < floor) gasUsed = floor

  // Return the unused gas, pay the coinbase.
  const after = (await state.readAccount(sKey, sender)) as NonNullable<
    Awaited<ReturnType<StateAdapter['readAccount']>>
  >
  state.writeAccount(sKey, sender, {
    ...after,
    balance: after.balance + (tx.gasLimit - gasUsed) * price,
  })
  const cbKey = hexKey(env.coinbase)
  const cbAddr = new Address(env.coinbase)
  const cb = await state.readAccount(cbKey, env.coinbase)
  const fee = gasUsed * (r.london ? tip : price)
  state.writeAccount(cbKey, env.coinbase, {
    nonce: cb?.nonce ?? 0n,
    balance: (cb?.balance ?? 0n) + fee,
    storageRoot: cb?.storageRoot ?? EMPTY_ROOT,
    codeHash: cb?.codeHash ?? EMPTY_CODE_HASH,
  })
  await journal.putAccount(cbAddr, await state.getAccount(cbAddr))

  if (ex.selfdestruct) {
    for (const a of [...ex.selfdestruct.keys()].sort()) {
      const addr = new Address(hexToBytes(a as `0x${string}`))
      if (r.cancun && !ex.createdAddresses?.has(addr.toString())) continue
      await journal.deleteAccount(addr)
    }
  }
  let accessed: Map<string, Set<string>> | undefined
  if (report && journal.accessList) {
    accessed = new Map()
    for (const [a, slots] of journal.accessList) {
      const key = a.replace(/^0x/, '').toLowerCase()
      if (slots.size === 0 && implicit.has(key)) continue
      accessed.set(key, new Set([...slots].map((k) => k.replace(/^0x/, '').toLowerCase())))
    }
  }
  await journal.cleanup()
  await journal.commit()
  state.originalStorageCache.clear()

  const logs: Log[] = ex.exceptionError
    ? []
    : (ex.logs ?? []).map((l) => ({ address: l[0], topics: l[1], data: l[2] }))
  return {
    gasUsed,
    blobGasUsed: blobGas,
    status: ex.exceptionError === undefined,
    logs,
    returnValue: ex.returnValue,
    refund: refund < maxRefund ? refund : maxRefund,
    ...(ex.exceptionError ? { error: String(ex.exceptionError.error) } : {}),
    ...(result.createdAddress ? { contractAddress: result.createdAddress.bytes } : {}),
    ...(accessed ? { accessList: accessed } : {}),
  }
}

/** EIP-7702 authorization list; returns the refund for authorities that already existed. */
async function applyAuthorizations(env: TxEnv, tx: Transaction): Promise<bigint> {
  const { state, rules: r, evm } = env
  let refund = 0n
  for (const auth of tx.authorizationList ?? []) {
    if (auth.chainId !== 0n && auth.chainId !== r.chainId) continue
    if (auth.nonce >= MAX_NONCE) continue
    if (auth.s > SECP_HALF_N || auth.s === 0n || auth.r === 0n || auth.yParity > 1n) continue
    let authority: Uint8Array
    try {
      authority = recoverAddress(authorizationSigHash(auth), auth.r, auth.s, Number(auth.yParity))
    } catch {
      continue
    }
    const aKey = hexKey(authority)
    evm.journal.addAlwaysWarmAddress(aKey)
    const acc = await state.readAccount(aKey, authority)
    if (acc && !equalCodeHash(acc.codeHash)) {
      const code = await state.codeByHash(acc.codeHash)
      if (!isDelegation(code)) continue
    }
    if ((acc?.nonce ?? 0n) !== auth.nonce) continue
    if (acc) refund += 25000n - 12500n
    const addr = new Address(authority)
    await evm.journal.putAccount(addr, await state.getAccount(addr))
    const cur = (await state.readAccount(aKey, authority)) ?? {
      nonce: 0n,
      balance: 0n,
      storageRoot: EMPTY_ROOT,
      codeHash: EMPTY_CODE_HASH,
    }
    state.writeAccount(aKey, authority, { ...cur, nonce: cur.nonce + 1n })
    const clear = auth.address.every((b, i) => b === ZERO_ADDRESS[i])
    await state.putCode(
      addr,
      clear ? new Uint8Array(0) : concatBytes(DELEGATION_PREFIX, auth.address),
    )
  }
  return refund
}

const EMPTY_ROOT = Uint8Array.from(
  Buffer.from('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421', 'hex'),
)
const equalCodeHash = (h: Uint8Array) => {
  for (let i = 0; i < 32; i++) if (h[i] !== EMPTY_CODE_HASH[i]) return false
  return true
}
const toHex = (b: Uint8Array): `0x${string}` => `0x${hexKey(b)}`
