/**
 * A `--dev` data directory whose state holds many accounts that are not in the genesis: the dev
 * signer's transfers to `accounts` fresh addresses, mined in process (executor block builder,
 * clique seal, `insertChain`), then empty blocks up to `blocks`. With `storageSlots`, the first
 * transactions deploy a token contract ({@link TOKEN_RUNTIME}: an ERC-20-like `balances` mapping at
 * slot 0) and mint to the first `storageSlots` of those addresses, one new storage slot each. A node initialised from the same
 * genesis has none of that state, so a fast sync must download all of it. Used by the fast-sync
 * e2e tests and `bench/fastsync.ts`.
 */
import { calcBaseFee, isLondon } from '@ethwire/chain'
import { privateKeyToAddress } from '@ethwire/crypto'
import {
  Block,
  BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  keccak256,
  rlpEncode,
  type Transaction,
} from '@ethwire/rlp-wire'
import { openExecutingChain, prepareDev } from '../../src/datadir.js'
import { signDynamicFee, signTransfer } from './harness.js'

/** The i-th funded address (deterministic): the last 20 bytes of keccak256("fastsync" ++ i). */
export function accountAt(i: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`fastsync-${i}`)).slice(12)
}

/** The balance account i receives. */
export const fundedValue = (i: number): bigint => 1_000_000_000n + BigInt(i)

/**
 * The token's runtime code: calldata `(address to, uint256 amount)` adds `amount` to
 * `balances[to]`, the slot `keccak256(to ‖ 0)` of Solidity's layout for a mapping at slot 0:
 * `PUSH1 0 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0x40 PUSH1 0 SHA3 DUP1 SLOAD PUSH1 0x20 CALLDATALOAD
 * ADD SWAP1 SSTORE STOP`.
 */
export const TOKEN_RUNTIME = hexBytes('6000356000526040600020805460203501905500')
/** Init code returning {@link TOKEN_RUNTIME}: `PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN`. */
const TOKEN_INIT = new Uint8Array([
  0x60,
  TOKEN_RUNTIME.length,
  0x80,
  0x60,
  0x0b,
  0x60,
  0x00,
  0x39,
  0x60,
  0x00,
  0xf3,
  ...TOKEN_RUNTIME,
])

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'))
}

/** The token minted to account i (its storage slot's value). */
export const mintedValue = (i: number): bigint => 1_000n + BigInt(i)

/** The address a contract created by `sender` with `nonce` gets. */
export function createdAddress(sender: Uint8Array, nonce: bigint): Uint8Array {
  return keccak256(rlpEncode([sender, nonce])).slice(12)
}

const word = (v: bigint | Uint8Array): Uint8Array => {
  const out = new Uint8Array(32)
  if (v instanceof Uint8Array) out.set(v, 32 - v.length)
  else for (let i = 31, x = v; x > 0n; i--, x >>= 8n) out[i] = Number(x & 0xffn)
  return out
}

export interface StateChainOptions {
  /** Fresh addresses funded (one transfer each). */
  accounts: number
  /**
   * Transfers in all (default `accounts`): the j-th goes to account j mod `accounts`, so a number
   * above `accounts` adds history (blocks to execute) without growing the state.
   */
  transfers?: number
  /** Total chain length (transfer blocks first, then empty ones). */
  blocks: number
  /** Transfers per block (default 400: 8.4 M gas). */
  txsPerBlock?: number
  /**
   * Token storage slots (default 0): a token contract deployed by the dev signer's first
   * transaction, then one mint to each of the first `storageSlots` accounts (about 44,000 gas
   * each, packed into blocks of the same gas budget as the transfers), before the transfers.
   */
  storageSlots?: number
}

export async function buildStateChain(
  datadir: string,
  o: StateChainOptions,
): Promise<{
  head: { number: bigint; hash: string; stateRoot: string }
  ms: number
  /** The token contract, when `storageSlots` > 0. */
  token?: Uint8Array
}> {
  const t0 = performance.now()
  const dev = await prepareDev(datadir)
  const { chain: c, executor } = await openExecutingChain(datadir, {
    genesis: dev.genesis,
    signerKey: dev.key,
  })
  try {
    const key = dev.key
    const signer = privateKeyToAddress(key)
    const chainId = BigInt(c.config.chainId ?? 1337)
    const per = o.txsPerBlock ?? 400
    const total = o.transfers ?? o.accounts
    const slots = o.storageSlots ?? 0
    if (slots > o.accounts) throw new Error(`${slots} storage slots but ${o.accounts} accounts`)
    const token = slots > 0 ? createdAddress(signer, 0n) : undefined
    // Every transaction in order, with its gas limit: deploy, mints, transfers.
    const deployGas = 100_000n
    const mintGas = 60_000n
    const gasOf = (j: number): bigint =>
      slots === 0 || j > slots ? 21_000n : j === 0 ? deployGas : mintGas
    const txCount = (slots > 0 ? 1 + slots : 0) + total
    const budget = 21_000n * BigInt(per)
    const blockStarts: number[] = []
    for (let j = 0; j < txCount; ) {
      blockStarts.push(j)
      let gas = 0n
      while (j < txCount && gas + gasOf(j) <= budget) gas += gasOf(j++)
    }
    blockStarts.push(txCount)
    const txBlocks = blockStarts.length - 1
    if (txBlocks > o.blocks) throw new Error(`${txCount} transactions need ${txBlocks} blocks`)
    const txAt = (j: number, nonce: bigint): Transaction => {
      if (slots > 0 && j === 0)
        return signDynamicFee(key, {
          chainId,
          nonce,
          to: null,
          data: TOKEN_INIT,
          gasLimit: deployGas,
        })
      if (slots > 0 && j <= slots) {
        const i = j - 1
        const data = new Uint8Array(64)
        data.set(word(accountAt(i)), 0)
        data.set(word(mintedValue(i)), 32)
        return signDynamicFee(key, { chainId, nonce, to: token!, data, gasLimit: mintGas })
      }
      const t = slots > 0 ? j - 1 - slots : j
      return signTransfer(key, {
        chainId,
        nonce,
        to: accountAt(t % o.accounts),
        value: fundedValue(t % o.accounts),
      })
    }
    const now = BigInt(Math.floor(Date.now() / 1000))
    const base = now - BigInt(o.blocks)
    const reader = { config: c.config, getHeader: (h: Uint8Array, n: bigint) => c.getHeader(h, n) }
    let nonce = 0n
    for (let i = 1; i <= o.blocks; i++) {
      const parent = c.currentHeader()
      const number = parent.number + 1n
      const t = base + BigInt(i)
      const time = t > parent.time ? t : parent.time + 1n
      const baseFee = isLondon(c.config, number) ? calcBaseFee(c.config, parent) : undefined
      const draft = await c.engine.prepare(
        reader,
        BlockHeader.fromData({
          parentHash: parent.hash,
          uncleHash: EMPTY_UNCLE_HASH,
          coinbase: new Uint8Array(20),
          stateRoot: parent.stateRoot,
          txRoot: EMPTY_TRIE_ROOT,
          receiptRoot: EMPTY_TRIE_ROOT,
          bloom: new Uint8Array(256),
          difficulty: 0n,
          number,
          gasLimit: parent.gasLimit,
          gasUsed: 0n,
          time,
          extra: new Uint8Array(0),
          mixDigest: new Uint8Array(32),
          nonce: new Uint8Array(8),
          baseFee,
        }),
        parent,
      )
      const first = i - 1 < txBlocks ? (blockStarts[i - 1] as number) : txCount
      const count = i - 1 < txBlocks ? (blockStarts[i] as number) - first : 0
      const txs = Array.from({ length: count }, (_, j) => ({
        tx: txAt(first + j, nonce + BigInt(j)),
        sender: signer,
      }))
      const built = await executor.buildBlock({
        parent,
        header: {
          coinbase: draft.coinbase,
          time: draft.time,
          gasLimit: draft.gasLimit,
          extra: draft.extra,
          difficulty: draft.difficulty,
          mixDigest: draft.mixDigest,
          nonce: draft.nonce,
          baseFee,
          beneficiary: signer,
        },
        transactions: txs,
      })
      if (built.block.transactions.length !== count)
        throw new Error(`block ${number}: ${built.block.transactions.length} of ${count} txs fit`)
      nonce += BigInt(count)
      const sealed = await c.engine.seal(reader, built.block.header)
      await c.insertChain([new Block(sealed, built.block.body())])
    }
    const h = c.currentHeader()
    return {
      head: { number: h.number, hash: bytesToHex(h.hash), stateRoot: bytesToHex(h.stateRoot) },
      ms: performance.now() - t0,
      ...(token ? { token } : {}),
    }
  } finally {
    await c.close()
  }
}
