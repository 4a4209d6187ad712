/** Genesis state: a genesis.json `alloc` as a state root and the ops that store it. */
import { bigIntToBytes, hexToBytes, keccak256 } from '@ethwire/rlp-wire'
import { EMPTY_CODE_HASH, EMPTY_ROOT } from './account.js'
import { createStateDatabase } from './database.js'
import { StateError } from './errors.js'
import type {
  GenesisAllocAccount,
  Hasher,
  KeyValueReader,
  StateCommit,
  WorldState,
} from './types.js'

const big = (s: string | undefined): bigint => {
  if (s === undefined || s === '') return 0n
  try {
    return BigInt(s) // 0x-hex and decimal, as go-ethereum's math.HexOrDecimal256
  } catch (err) {
    throw new StateError('ErrInvalidArgument', `bad number ${s}`, { cause: err })
  }
}

function fixed(s: string, len: number): Uint8Array {
  const b = bigIntToBytes(big(s.startsWith('0x') || s.startsWith('0X') ? s : `0x${s}`))
  if (b.length > len) throw new StateError('ErrInvalidArgument', `${s} is longer than ${len} bytes`)
  const out = new Uint8Array(len)
  out.set(b, len - b.length)
  return out
}

function codeBytes(s: string | undefined): Uint8Array {
  if (!s) return new Uint8Array(0)
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  return hexToBytes(h.length % 2 ? `0${h}` : h)
}

/** Writes an alloc into a world state (accounts, storage, code), as go-ethereum's `Genesis.Commit`. */
export function applyAlloc(
  world: WorldState,
  alloc: Record<string, GenesisAllocAccount>,
  hasher: Hasher = keccak256,
): void {
  for (const [addrHex, acc] of Object.entries(alloc)) {
    const address = fixed(addrHex, 20)
    const code = codeBytes(acc.code)
    const codeHash = code.length > 0 ? hasher(code) : EMPTY_CODE_HASH
    if (code.length > 0) world.setCode(codeHash, code)
    world.setAccount(address, {
      nonce: big(acc.nonce),
      balance: big(acc.balance),
      storageRoot: EMPTY_ROOT,
      codeHash,
    })
    for (const [k, v] of Object.entries(acc.storage ?? {})) {
      const value = big(v)
      const value32 = new Uint8Array(32)
      if (value !== 0n) value32.set(fixed(`0x${value.toString(16)}`, 32))
      world.setStorage(address, fixed(k, 32), value32)
    }
  }
}

const emptyReader: KeyValueReader = { get: async () => undefined }

/**
 * The genesis state root of `alloc` and the ops that store its tries and code (write them in the
 * batch that stores the genesis block). Needs no store: the genesis builds on the empty trie.
 */
export async function genesisCommit(
  alloc: Record<string, GenesisAllocAccount> = {},
  options: { hasher?: Hasher } = {},
): Promise<StateCommit> {
  const hasher = options.hasher ?? keccak256
  const db = createStateDatabase({ db: emptyReader, hasher })
  const world = db.open(EMPTY_ROOT)
  applyAlloc(world, alloc, hasher)
  return world.commit()
}
