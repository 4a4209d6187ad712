/** Merkle proofs: building EIP-1186 proofs from the store, and checking them without it. */
import { keccak256 } from '@ethwire/rlp-wire'
import {
  checkLength,
  decodeAccount,
  decodeStorageValue,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  equalBytes,
} from './account.js'
import { keyOf, toHex } from './cache.js'
import { StateError } from './errors.js'
import { decodeNode, HashNode, type Node, toNibbles } from './node.js'
import type { LocalNodes, NodeStore } from './store.js'
import { MissingNode, type Resolver, trieGet, triePath } from './trie.js'
import type { AccountProof, Hasher, StorageProof } from './types.js'

/** The RLP of the nodes stored by hash on the walk to `key` (root first): a proof of `key`. */
export async function proveKey(
  store: NodeStore,
  root: Uint8Array,
  key: Uint8Array,
  local: LocalNodes,
): Promise<Uint8Array[]> {
  if (equalBytes(root, EMPTY_ROOT)) return []
  const start = new HashNode(root)
  const path = toNibbles(key)
  const r = store.resolver(local)
  const nodes = await store.run(() => triePath(start, path, r), local)
  // Inline children are inside their parent's RLP; only nodes referenced by hash are proof items.
  const out: Uint8Array[] = []
  for (const n of nodes) if (n.hash !== undefined) out.push(n.enc!)
  return out
}

export async function buildProof(
  store: NodeStore,
  root: Uint8Array,
  address: Uint8Array,
  slots: Uint8Array[],
): Promise<AccountProof> {
  checkLength(root, 32, 'state root')
  checkLength(address, 20, 'address')
  for (const s of slots) checkLength(s, 32, 'slot')
  const local: LocalNodes = new Map()
  const h = store.hasher
  const accountKey = h(address)
  const accountProof = await proveKey(store, root, accountKey, local)
  const r = store.resolver(local)
  const rootNode = equalBytes(root, EMPTY_ROOT) ? null : new HashNode(root)
  const path = toNibbles(accountKey)
  const raw = await store.run(() => trieGet(rootNode, path, r), local)
  const account = raw === undefined ? undefined : decodeAccount(raw)
  const storageHash = account?.storageRoot ?? EMPTY_ROOT
  const storageProof: StorageProof[] = []
  for (const slot of slots) {
    const sk = h(slot)
    const proof = await proveKey(store, storageHash, sk, local)
    let value = 0n
    if (!equalBytes(storageHash, EMPTY_ROOT)) {
      const sroot = new HashNode(storageHash)
      const sp = toNibbles(sk)
      const v = await store.run(() => trieGet(sroot, sp, r), local)
      if (v !== undefined) value = BigInt(`0x${toHex(decodeStorageValue(v))}`)
    }
    storageProof.push({ key: slot.slice(), value, proof })
  }
  return {
    address: address.slice(),
    accountProof,
    balance: account?.balance ?? 0n,
    nonce: account?.nonce ?? 0n,
    codeHash: account?.codeHash ?? EMPTY_CODE_HASH,
    storageHash,
    storageProof,
  }
}

class ProofResolver implements Resolver {
  constructor(readonly nodes: Map<string, Uint8Array>) {}
  resolve(ref: HashNode): Node {
    const raw = this.nodes.get(keyOf(ref.hash))
    if (raw === undefined) throw new MissingNode(ref.hash)
    return decodeNode(raw, ref.hash)
  }
}

/**
 * Checks a Merkle proof: returns the value at `key` (raw bytes, hashed by the caller for secure
 * tries), `undefined` if the proof shows the key is absent, or throws `ErrBadProof` if the proof
 * does not lead from `root` to an answer.
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  proof: readonly Uint8Array[],
  options: { hasher?: Hasher } = {},
): Uint8Array | undefined {
  const h = options.hasher ?? keccak256
  if (equalBytes(root, EMPTY_ROOT) && proof.length === 0) return undefined
  const nodes = new Map<string, Uint8Array>()
  for (const p of proof) nodes.set(keyOf(h(p)), p)
  if (!nodes.has(keyOf(root)))
    throw new StateError('ErrBadProof', 'proof does not contain the root')
  try {
    return trieGet(new HashNode(root), toNibbles(key), new ProofResolver(nodes))
  } catch (e) {
    if (e instanceof MissingNode) {
      throw new StateError('ErrBadProof', `proof lacks node ${toHex(e.hash)}`, { hash: e.hash })
    }
    if ((e as { name?: string }).name === 'StateError') {
      throw new StateError('ErrBadProof', `proof node undecodable: ${(e as Error).message}`, {
        cause: e,
      })
    }
    throw e
  }
}

/**
 * Checks a whole EIP-1186 result against a state root: the account fields against the account
 * proof, each slot's value against its storage proof. Throws `ErrBadProof` on any disagreement.
 */
export function verifyAccountProof(
  stateRoot: Uint8Array,
  p: AccountProof,
  options: { hasher?: Hasher } = {},
): void {
  const h = options.hasher ?? keccak256
  const raw = verifyProof(stateRoot, h(p.address), p.accountProof, options)
  if (raw === undefined) {
    if (
      p.nonce !== 0n ||
      p.balance !== 0n ||
      !equalBytes(p.codeHash, EMPTY_CODE_HASH) ||
      !equalBytes(p.storageHash, EMPTY_ROOT)
    ) {
      throw new StateError('ErrBadProof', 'account is absent but the proof gives it fields')
    }
  } else {
    const a = decodeAccount(raw)
    if (
      a.nonce !== p.nonce ||
      a.balance !== p.balance ||
      !equalBytes(a.codeHash, p.codeHash) ||
      !equalBytes(a.storageRoot, p.storageHash)
    ) {
      throw new StateError('ErrBadProof', 'account fields differ from the proven account')
    }
  }
  for (const s of p.storageProof) {
    const v = verifyProof(p.storageHash, h(s.key), s.proof, options)
    const value = v === undefined ? 0n : BigInt(`0x${toHex(decodeStorageValue(v))}`)
    if (value !== s.value) {
      throw new StateError('ErrBadProof', `slot ${toHex(s.key)}: value differs from the proof`)
    }
  }
}
