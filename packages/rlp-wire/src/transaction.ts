import { concatBytes, keccak256 } from './bytes.js'
import { blobSizeBytes, cellProofsPerBlob } from './constants.js'
import { WireError } from './errors.js'
import {
  RlpCursor,
  type RlpInput,
  type RlpItem,
  rlpEncode,
  rlpIsList,
  rlpRaw,
  rlpStringContent,
} from './rlp.js'
import type { AccessListEntry, Authorization, BlobSidecar, Bytes, TxData, TxType } from './types.js'

function readTo(c: RlpCursor, field: string, allowCreate: boolean): Bytes | null {
  const b = c.bytes(field)
  if (b.length === 0) {
    if (!allowCreate)
      throw new WireError('ErrInvalidValue', `${field}: contract creation not allowed`)
    return null
  }
  if (b.length !== 20)
    throw new WireError('ErrFieldSize', `${field}: ${b.length} bytes, expected 20`)
  return b
}

function readAccessList(c: RlpCursor): AccessListEntry[] {
  const l = c.list('tx.accessList')
  const out: AccessListEntry[] = []
  while (l.hasMore()) {
    const e = l.list('tx.accessList[]')
    const address = e.fixed('tx.accessList[].address', 20)
    const keys = e.list('tx.accessList[].storageKeys')
    e.done()
    const storageKeys: Bytes[] = []
    while (keys.hasMore()) storageKeys.push(keys.fixed('tx.storageKey', 32))
    out.push({ address, storageKeys })
  }
  return out
}

function readAuthList(c: RlpCursor): Authorization[] {
  const l = c.list('tx.authorizationList')
  const out: Authorization[] = []
  while (l.hasMore()) {
    const a = l.list('tx.authorization')
    out.push({
      chainId: a.uint('auth.chainId', 32),
      address: a.fixed('auth.address', 20),
      nonce: a.uint('auth.nonce', 8),
      yParity: a.uint('auth.yParity', 1),
      r: a.uint('auth.r', 32),
      s: a.uint('auth.s', 32),
    })
    a.done()
  }
  return out
}

function readYParity(c: RlpCursor): bigint {
  const y = c.uint('tx.yParity', 1)
  if (y > 1n) throw new WireError('ErrInvalidValue', 'tx.yParity: not 0 or 1')
  return y
}

function accessListInput(al: AccessListEntry[] | undefined): RlpInput {
  return (al ?? []).map((e) => [e.address, e.storageKeys])
}

function authListInput(al: Authorization[] | undefined): RlpInput {
  return (al ?? []).map((a) => [a.chainId, a.address, a.nonce, a.yParity, a.r, a.s])
}

/**
 * A signed transaction of any type (0 legacy, 1 EIP-2930, 2 EIP-1559, 3 EIP-4844, 4 EIP-7702).
 * Decoded transactions keep the bytes they came from: `hash` is one keccak, `encode()` free.
 */
export class Transaction implements TxData {
  readonly type: TxType
  readonly chainId?: bigint
  readonly nonce: bigint
  readonly gasPrice?: bigint
  readonly maxPriorityFeePerGas?: bigint
  readonly maxFeePerGas?: bigint
  readonly gasLimit: bigint
  readonly to: Bytes | null
  readonly value: bigint
  readonly data: Bytes
  readonly accessList?: AccessListEntry[]
  readonly maxFeePerBlobGas?: bigint
  readonly blobVersionedHashes?: Bytes[]
  readonly authorizationList?: Authorization[]
  readonly v: bigint
  readonly r: bigint
  readonly s: bigint
  /** The EIP-4844 network-form sidecar, when the tx came with (or was given) one. */
  readonly sidecar?: BlobSidecar
  #raw: Uint8Array | undefined
  #hash: Uint8Array | undefined

  private constructor(d: TxData, sidecar: BlobSidecar | undefined, raw: Uint8Array | undefined) {
    this.type = d.type
    if (d.chainId !== undefined) this.chainId = d.chainId
    this.nonce = d.nonce
    if (d.gasPrice !== undefined) this.gasPrice = d.gasPrice
    if (d.maxPriorityFeePerGas !== undefined) this.maxPriorityFeePerGas = d.maxPriorityFeePerGas
    if (d.maxFeePerGas !== undefined) this.maxFeePerGas = d.maxFeePerGas
    this.gasLimit = d.gasLimit
    this.to = d.to
    this.value = d.value
    this.data = d.data
    if (d.accessList !== undefined) this.accessList = d.accessList
    if (d.maxFeePerBlobGas !== undefined) this.maxFeePerBlobGas = d.maxFeePerBlobGas
    if (d.blobVersionedHashes !== undefined) this.blobVersionedHashes = d.blobVersionedHashes
    if (d.authorizationList !== undefined) this.authorizationList = d.authorizationList
    this.v = d.v
    this.r = d.r
    this.s = d.s
    if (sidecar !== undefined) this.sidecar = sidecar
    this.#raw = raw
  }

  /** From plain data. Legacy: `chainId` is derived from `v` when absent. Missing typed fields default to empty. */
  static fromData(d: TxData, sidecar?: BlobSidecar): Transaction {
    const t = d.type
    if (t !== 0 && t !== 1 && t !== 2 && t !== 3 && t !== 4) {
      throw new WireError('ErrInvalidValue', `unknown tx type ${t}`)
    }
    const data: TxData = { ...d }
    if (t === 0) {
      if (data.chainId === undefined && d.v >= 35n) data.chainId = (d.v - 35n) / 2n
      data.gasPrice ??= 0n
    } else {
      data.chainId ??= 0n
      data.accessList ??= []
      if (t === 1) data.gasPrice ??= 0n
      else {
        data.maxPriorityFeePerGas ??= 0n
        data.maxFeePerGas ??= 0n
      }
      if (t === 3) {
        data.maxFeePerBlobGas ??= 0n
        data.blobVersionedHashes ??= []
      }
      if (t === 4) data.authorizationList ??= []
      if ((t === 3 || t === 4) && data.to === null) {
        throw new WireError('ErrInvalidValue', `type ${t} tx cannot create a contract`)
      }
    }
    if (sidecar !== undefined && t !== 3)
      throw new WireError('ErrInvalidValue', 'sidecar on non-blob tx')
    return new Transaction(data, sidecar, undefined)
  }

  /** Consensus/binary form: a legacy RLP list, or `type ‖ rlp(fields)`. */
  static decode(bytes: Uint8Array): Transaction {
    if (bytes.length === 0) throw new WireError('ErrDecode', 'empty transaction')
    if (rlpIsList(bytes)) return Transaction.#fromLegacy(bytes)
    return Transaction.#decodeTyped(bytes, false)
  }

  /**
   * One element of a Transactions / PooledTransactions list (or a block body): a legacy list, or
   * the typed binary form as an RLP string; EIP-4844 may carry its sidecar.
   */
  static decodeNetwork(item: RlpItem, raw?: Uint8Array): Transaction {
    if (Array.isArray(item)) return Transaction.#fromLegacy(raw ?? rlpEncode(item))
    return Transaction.#decodeTyped(item, true)
  }

  /**
   * Like {@link decodeNetwork} from the element's raw RLP (no re-encoding for the hash).
   * `blobs: 'elided'` is eth/72's PooledTransactions form: a version-1 sidecar whose blob list is
   * empty (commitments and proofs still there); the decoded sidecar then has `blobs: []`.
   */
  static decodeNetworkRaw(
    raw: Uint8Array,
    allowSidecar = true,
    options: { blobs?: 'full' | 'elided' } = {},
  ): Transaction {
    if (rlpIsList(raw)) return Transaction.#fromLegacy(raw)
    return Transaction.#decodeTyped(
      rlpStringContent(raw, 'tx'),
      allowSidecar,
      options.blobs === 'elided',
    )
  }

  static #fromLegacy(raw: Uint8Array): Transaction {
    const c = RlpCursor.of(raw, 'legacy tx')
    const nonce = c.uint('tx.nonce', 8)
    const gasPrice = c.uint('tx.gasPrice', 32)
    const gasLimit = c.uint('tx.gasLimit', 8)
    const to = readTo(c, 'tx.to', true)
    const value = c.uint('tx.value', 32)
    const data = c.bytes('tx.data')
    const v = c.uint('tx.v', 32)
    const d: TxData = {
      type: 0,
      nonce,
      gasPrice,
      gasLimit,
      to,
      value,
      data,
      v,
      r: c.uint('tx.r', 32),
      s: c.uint('tx.s', 32),
    }
    c.done()
    if (v >= 35n) d.chainId = (v - 35n) / 2n
    else if (v !== 27n && v !== 28n) throw new WireError('ErrInvalidValue', `tx.v: invalid ${v}`)
    return new Transaction(d, undefined, raw)
  }

  static #decodeTyped(bytes: Uint8Array, allowSidecar: boolean, blobsElided = false): Transaction {
    if (bytes.length === 0) throw new WireError('ErrDecode', 'empty typed transaction')
    const type = bytes[0]!
    if (type < 1 || type > 4) throw new WireError('ErrInvalidValue', `unknown tx type ${type}`)
    const c = RlpCursor.of(bytes.subarray(1), 'typed tx')
    if (type === 3 && c.peekIsList()) {
      if (!allowSidecar) throw new WireError('ErrInvalidValue', 'blob sidecar not allowed here')
      return Transaction.#fromBlobNetwork(c, blobsElided)
    }
    return Transaction.#fromTypedFields(type as TxType, c, undefined, bytes)
  }

  static #fromBlobNetwork(c: RlpCursor, blobsElided: boolean): Transaction {
    const innerRaw = c.raw('blob tx')
    const n = c.remaining()
    if (n !== 3 && n !== 4)
      throw new WireError('ErrArity', 'blob tx network form: expected 4 or 5 elements')
    let version = 0
    if (n === 4) {
      version = c.uintNumber('sidecar.version', 1)
      if (version !== 1)
        throw new WireError('ErrInvalidValue', `unknown sidecar version ${version}`)
    }
    const fixedList = (field: string, len: number): Bytes[] => {
      const l = c.list(field)
      const out: Bytes[] = []
      while (l.hasMore()) out.push(l.fixed(field, len))
      return out
    }
    const sidecar: BlobSidecar = {
      version,
      blobs: fixedList('sidecar.blobs', blobSizeBytes),
      commitments: fixedList('sidecar.commitments', 48),
      proofs: fixedList('sidecar.proofs', 48),
    }
    c.done()
    const raw = concatBytes(Uint8Array.of(3), innerRaw)
    const tx = Transaction.#fromTypedFields(3, RlpCursor.of(innerRaw, 'blob tx'), sidecar, raw)
    const count = tx.blobVersionedHashes!.length
    const wantProofs = version === 0 ? count : count * cellProofsPerBlob
    if (blobsElided) {
      if (version !== 1 || sidecar.blobs.length !== 0)
        throw new WireError('ErrInvalidValue', 'eth/72 blob tx: blobs must be elided (version 1)')
    } else if (sidecar.blobs.length !== count) {
      throw new WireError('ErrInvalidValue', 'sidecar blob/commitment count mismatch')
    }
    if (sidecar.commitments.length !== count) {
      throw new WireError('ErrInvalidValue', 'sidecar blob/commitment count mismatch')
    }
    if (sidecar.proofs.length !== wantProofs) {
      throw new WireError('ErrInvalidValue', 'sidecar proof count mismatch')
    }
    return tx
  }

  static #fromTypedFields(
    type: TxType,
    c: RlpCursor,
    sidecar: BlobSidecar | undefined,
    raw: Uint8Array,
  ): Transaction {
    const chainId = c.uint('tx.chainId', 32)
    const nonce = c.uint('tx.nonce', 8)
    const d: TxData = { type, chainId, nonce } as TxData
    if (type === 1) d.gasPrice = c.uint('tx.gasPrice', 32)
    else {
      d.maxPriorityFeePerGas = c.uint('tx.maxPriorityFeePerGas', 32)
      d.maxFeePerGas = c.uint('tx.maxFeePerGas', 32)
    }
    d.gasLimit = c.uint('tx.gasLimit', 8)
    d.to = readTo(c, 'tx.to', type < 3)
    d.value = c.uint('tx.value', 32)
    d.data = c.bytes('tx.data')
    d.accessList = readAccessList(c)
    if (type === 3) {
      d.maxFeePerBlobGas = c.uint('tx.maxFeePerBlobGas', 32)
      const hs = c.list('tx.blobVersionedHashes')
      const hashes: Bytes[] = []
      while (hs.hasMore()) hashes.push(hs.fixed('tx.blobVersionedHash', 32))
      d.blobVersionedHashes = hashes
    } else if (type === 4) {
      d.authorizationList = readAuthList(c)
    }
    d.v = readYParity(c)
    d.r = c.uint('tx.r', 32)
    d.s = c.uint('tx.s', 32)
    c.done()
    return new Transaction(d, sidecar, raw)
  }

  /** Unsigned fields, in order, for the signing payload (typed: without the signature). */
  #unsignedFields(): RlpInput[] {
    const t = this.type
    if (t === 0) return [this.nonce, this.gasPrice, this.gasLimit, this.to, this.value, this.data]
    const out: RlpInput[] = [this.chainId, this.nonce]
    if (t === 1) out.push(this.gasPrice)
    else out.push(this.maxPriorityFeePerGas, this.maxFeePerGas)
    out.push(this.gasLimit, this.to, this.value, this.data, accessListInput(this.accessList))
    if (t === 3) out.push(this.maxFeePerBlobGas, this.blobVersionedHashes ?? [])
    if (t === 4) out.push(authListInput(this.authorizationList))
    return out
  }

  #consensusPayload(): Uint8Array {
    const f = this.#unsignedFields()
    f.push(this.v, this.r, this.s)
    return rlpEncode(f)
  }

  /** Binary (consensus) form, cached: what the transactions trie and the hash use. */
  encode(): Uint8Array {
    if (this.#raw === undefined) {
      const p = this.#consensusPayload()
      this.#raw = this.type === 0 ? p : concatBytes(Uint8Array.of(this.type), p)
    }
    return this.#raw
  }

  /**
   * The list element for Transactions / PooledTransactions / block bodies (with sidecar if any).
   * `elideBlobs` (eth/72 PooledTransactions): a version-1 sidecar goes out with an empty blob list.
   */
  encodeNetwork(options: { elideBlobs?: boolean } = {}): RlpInput {
    if (this.type === 0) return rlpRaw(this.encode())
    const sc = this.sidecar
    if (sc === undefined) return this.encode()
    const inner = rlpRaw(this.encode().subarray(1))
    if (options.elideBlobs && sc.version !== 1)
      throw new WireError('ErrInvalidValue', 'eth/72 needs a version-1 (cell proof) blob sidecar')
    const blobs = options.elideBlobs ? [] : sc.blobs
    const wrapped: RlpInput[] =
      sc.version === 0
        ? [inner, blobs, sc.commitments, sc.proofs]
        : [inner, sc.version, blobs, sc.commitments, sc.proofs]
    return concatBytes(Uint8Array.of(3), rlpEncode(wrapped))
  }

  /** keccak256 of the binary form, computed once. */
  get hash(): Uint8Array {
    if (this.#hash === undefined) this.#hash = keccak256(this.encode())
    return this.#hash
  }

  /** Size in bytes of the binary form. */
  get size(): number {
    return this.encode().length
  }

  /** The hash that was signed (legacy with/without EIP-155, and every typed form). */
  sigHash(): Uint8Array {
    const f = this.#unsignedFields()
    if (this.type === 0) {
      if (this.chainId !== undefined) f.push(this.chainId, 0, 0)
      return keccak256(rlpEncode(f))
    }
    return keccak256(concatBytes(Uint8Array.of(this.type), rlpEncode(f)))
  }

  /** Signature y parity. */
  get recovery(): 0 | 1 {
    if (this.type !== 0) return Number(this.v) as 0 | 1
    if (this.v === 27n || this.v === 28n) return Number(this.v - 27n) as 0 | 1
    return Number((this.v - 35n) % 2n) as 0 | 1
  }

  get chainIdOrUndefined(): bigint | undefined {
    return this.chainId
  }

  toData(): TxData {
    const d: TxData = {
      type: this.type,
      nonce: this.nonce,
      gasLimit: this.gasLimit,
      to: this.to,
      value: this.value,
      data: this.data,
      v: this.v,
      r: this.r,
      s: this.s,
    }
    if (this.chainId !== undefined) d.chainId = this.chainId
    if (this.gasPrice !== undefined) d.gasPrice = this.gasPrice
    if (this.maxPriorityFeePerGas !== undefined) d.maxPriorityFeePerGas = this.maxPriorityFeePerGas
    if (this.maxFeePerGas !== undefined) d.maxFeePerGas = this.maxFeePerGas
    if (this.accessList !== undefined) d.accessList = this.accessList
    if (this.maxFeePerBlobGas !== undefined) d.maxFeePerBlobGas = this.maxFeePerBlobGas
    if (this.blobVersionedHashes !== undefined) d.blobVersionedHashes = this.blobVersionedHashes
    if (this.authorizationList !== undefined) d.authorizationList = this.authorizationList
    return d
  }
}

/** EIP-7702: the hash an authority signs, keccak256(0x05 ‖ rlp([chainId, address, nonce])). */
export function authorizationSigHash(
  a: Pick<Authorization, 'chainId' | 'address' | 'nonce'>,
): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(5), rlpEncode([a.chainId, a.address, a.nonce])))
}
