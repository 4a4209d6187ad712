/**
 * A `--dev` data directory whose state holds many accounts that are not in the genesis: the dev
 * signer's transfers to `accounts` fresh addresses, mined in process (executor block builder,
 * clique seal, `insertChain`), then empty blocks up to `blocks`. A node initialised from the same
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
} from '@ethwire/rlp-wire'
import { openExecutingChain, prepareDev } from '../../src/datadir.js'
import { signTransfer } from './harness.js'

/** The i-th funded address (deterministic): the last 20 bytes of keccak256("fastsync" ++ i). */
export function accountAt(i: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`fastsync-${i}`)).slice(12)
}

/** The balance account i receives. */
export const fundedValue = (i: number): bigint => 1_000_000_000n + BigInt(i)

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
}

export async function buildStateChain(
  datadir: string,
  o: StateChainOptions,
): Promise<{ head: { number: bigint; hash: string; stateRoot: string }; ms: number }> {
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
    const txBlocks = Math.ceil(total / per)
    if (txBlocks > o.blocks) throw new Error(`${total} transfers need ${txBlocks} blocks`)
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
      const first = (i - 1) * per
      const count = Math.max(0, Math.min(per, total - first))
      const txs = Array.from({ length: count }, (_, j) => ({
        tx: signTransfer(key, {
          chainId,
          nonce: nonce + BigInt(j),
          to: accountAt((first + j) % o.accounts),
          value: fundedValue((first + j) % o.accounts),
        }),
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
    }
  } finally {
    await c.close()
  }
}
