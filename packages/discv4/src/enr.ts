/**
 * Ethereum Node Records (EIP-778) with the "v4" identity scheme: decode (strict: at most 300
 * bytes, keys sorted and unique, complete pairs), verify, sign, and the text form `enr:<base64url>`.
 * Values stay raw RLP; the well-known ones (`ip`, `ip6`, `tcp`, `udp`, `tcp6`, `udp6`,
 * `secp256k1`, `eth`) have getters that return `undefined` when absent or malformed.
 */
import {
  bytesToHex,
  equalBytes,
  keccak256,
  type RlpInput,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpListElements,
  rlpRaw,
  rlpStringContent,
} from '@ethwire/rlp-wire'
import { maxEnrSizeBytes } from './constants.js'
import { Discv4Error } from './errors.js'
import { bytesToIp } from './ip.js'
import {
  compressPublicKey,
  decompressPublicKey,
  nodeIdOfPublicKey,
  publicKeyOf,
  signRecoverable,
  verifySignature,
} from './keys.js'

/** An EIP-2124 fork identifier as carried in the `eth` entry: `[[forkHash, forkNext]]`. */
export interface ForkId {
  /** 4 bytes: CRC32 of the genesis hash and the passed fork blocks/times. */
  readonly hash: Uint8Array
  /** Block number or timestamp of the next fork, 0 when none is known. */
  readonly next: bigint
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function bad(message: string, cause?: unknown): never {
  throw new Discv4Error('ErrInvalidEnr', message, cause === undefined ? {} : { cause })
}

function decodeUintValue(raw: Uint8Array, maxBytes: number): bigint | undefined {
  try {
    const b = rlpStringContent(raw, 'value')
    if (b.length > maxBytes || (b.length > 0 && b[0] === 0)) return undefined
    let x = 0n
    for (const v of b) x = (x << 8n) | BigInt(v)
    return x
  } catch {
    return undefined
  }
}

function encodeBase64Url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url')
}

/** Strict unpadded base64url (RFC 4648 §5) decoding; `undefined` on any other character. */
export function decodeBase64Url(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined
  const b = Buffer.from(s, 'base64url')
  // Reject non-canonical trailing bits (what Go's strict decoder does too).
  if (encodeBase64Url(b) !== s) return undefined
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

/** A signed, verified node record. Immutable; {@link Enr.sign} makes a new one. */
export class Enr {
  /** The record's sequence number. */
  readonly seq: bigint
  /** 64-byte r || s signature of the "v4" scheme. */
  readonly signature: Uint8Array
  /** The encoded record as it travels (RLP list). */
  readonly raw: Uint8Array
  readonly #pairs: Map<string, Uint8Array>
  #publicKey: Uint8Array | undefined
  #nodeId: Uint8Array | undefined

  private constructor(
    seq: bigint,
    signature: Uint8Array,
    raw: Uint8Array,
    pairs: Map<string, Uint8Array>,
  ) {
    this.seq = seq
    this.signature = signature
    this.raw = raw
    this.#pairs = pairs
  }

  /**
   * Decodes and verifies an RLP record. Throws `ErrEnrTooBig`, `ErrInvalidEnr` or (bad
   * signature, unknown scheme, missing key) `ErrEnrSignature`.
   */
  static decode(raw: Uint8Array): Enr {
    if (raw.length > maxEnrSizeBytes) {
      throw new Discv4Error('ErrEnrTooBig', `record of ${raw.length} bytes`)
    }
    let elems: Uint8Array[]
    try {
      elems = rlpListElements(raw, 'enr')
    } catch (cause) {
      bad('record is not an RLP list', cause)
    }
    if (elems.length < 2) bad('record has fewer than two elements')
    if (elems.length % 2 !== 0) bad('record has an incomplete key/value pair')
    let signature: Uint8Array
    try {
      signature = rlpStringContent(elems[0]!, 'signature')
    } catch (cause) {
      bad('signature is not a string', cause)
    }
    const s = decodeUintValue(elems[1]!, 8)
    if (s === undefined) bad('seq is not a uint64')
    const seq = s
    const pairs = new Map<string, Uint8Array>()
    let prev: Uint8Array | undefined
    for (let i = 2; i < elems.length; i += 2) {
      let k: Uint8Array
      try {
        k = rlpStringContent(elems[i]!, 'key')
      } catch (cause) {
        bad('key is not a string', cause)
      }
      if (prev !== undefined) {
        const c = compareKeys(k, prev)
        if (c === 0) bad('record contains a duplicate key')
        if (c < 0) bad('record keys are not sorted')
      }
      prev = k
      // Values are any RLP item; check it is one complete item.
      try {
        rlpDecode(elems[i + 1]!)
      } catch (cause) {
        bad('value is not RLP', cause)
      }
      pairs.set(textDecoder.decode(k), elems[i + 1]!)
    }
    const enr = new Enr(seq, signature, raw, pairs)
    enr.#verify()
    return enr
  }

  /** Parses `enr:<base64url>` (the text form). Same errors as {@link Enr.decode}. */
  static fromText(text: string): Enr {
    const t = text.trim()
    if (!t.startsWith('enr:')) bad('text form must start with "enr:"')
    const raw = decodeBase64Url(t.slice(4))
    if (raw === undefined) bad('not base64url')
    return Enr.decode(raw)
  }

  /**
   * Signs a record with the "v4" scheme. `entries` are the pairs besides `id` and `secp256k1`
   * (added here), as RLP input; `undefined` values are left out. Throws `ErrEnrTooBig` when the
   * result exceeds 300 bytes.
   */
  static sign(opts: {
    privateKey: Uint8Array
    seq: bigint
    entries?: Readonly<Record<string, RlpInput | undefined>>
  }): Enr {
    const pub = publicKeyOf(opts.privateKey)
    const all: [Uint8Array, Uint8Array][] = []
    const add = (k: string, v: Uint8Array) => all.push([textEncoder.encode(k), v])
    for (const [k, v] of Object.entries(opts.entries ?? {})) {
      if (v === undefined || k === 'id' || k === 'secp256k1') continue
      add(k, rlpEncode(v))
    }
    add('id', rlpEncode('v4'))
    add('secp256k1', rlpEncode(compressPublicKey(pub)))
    all.sort((a, b) => compareKeys(a[0], b[0]))
    const content: RlpInput[] = [opts.seq]
    for (const [k, v] of all) content.push(k, rlpRaw(v))
    const hash = keccak256(rlpEncode(content))
    const signature = signRecoverable(hash, opts.privateKey).subarray(0, 64)
    const raw = rlpEncode([signature, ...content])
    if (raw.length > maxEnrSizeBytes) {
      throw new Discv4Error('ErrEnrTooBig', `record of ${raw.length} bytes`)
    }
    return Enr.decode(raw)
  }

  #verify(): void {
    const scheme = this.getString('id')
    if (scheme !== 'v4') {
      throw new Discv4Error('ErrEnrSignature', `identity scheme ${JSON.stringify(scheme)}`)
    }
    const keyRaw = this.#pairs.get('secp256k1')
    let key: Uint8Array | undefined
    try {
      key = keyRaw === undefined ? undefined : rlpStringContent(keyRaw, 'secp256k1')
    } catch {
      key = undefined
    }
    if (key === undefined || key.length !== 33) {
      throw new Discv4Error('ErrEnrSignature', 'no 33-byte secp256k1 key')
    }
    const content: RlpInput[] = [this.seq]
    for (const [k, v] of this.#pairs) content.push(k, rlpRaw(v))
    const hash = keccak256(rlpEncode(content))
    if (!verifySignature(hash, this.signature, key)) {
      throw new Discv4Error('ErrEnrSignature', 'signature does not verify')
    }
    try {
      this.#publicKey = decompressPublicKey(key)
    } catch (cause) {
      throw new Discv4Error('ErrEnrSignature', 'secp256k1 key is not on the curve', { cause })
    }
  }

  /** Keys in the record, sorted. */
  keys(): string[] {
    return [...this.#pairs.keys()]
  }

  /** The raw RLP value of `key`. */
  get(key: string): Uint8Array | undefined {
    return this.#pairs.get(key)
  }

  /** The value of `key` decoded as an RLP item. */
  getItem(key: string): RlpItem | undefined {
    const v = this.#pairs.get(key)
    return v === undefined ? undefined : rlpDecode(v)
  }

  /** A string value as UTF-8 text (`id`, `client` …). */
  getString(key: string): string | undefined {
    const v = this.#pairs.get(key)
    if (v === undefined) return undefined
    try {
      return textDecoder.decode(rlpStringContent(v, key))
    } catch {
      return undefined
    }
  }

  /** A uint value of at most `maxBytes` bytes. */
  getUint(key: string, maxBytes = 8): bigint | undefined {
    const v = this.#pairs.get(key)
    return v === undefined ? undefined : decodeUintValue(v, maxBytes)
  }

  #port(key: string): number | undefined {
    const p = this.getUint(key, 2)
    return p === undefined ? undefined : Number(p)
  }

  #ip(key: string, len: number): string | undefined {
    const v = this.#pairs.get(key)
    if (v === undefined) return undefined
    try {
      const b = rlpStringContent(v, key)
      return b.length === len ? bytesToIp(b) : undefined
    } catch {
      return undefined
    }
  }

  /** The 64-byte public key (x || y). */
  get publicKey(): Uint8Array {
    return this.#publicKey as Uint8Array
  }

  /** keccak256 of the public key: the node id. */
  get nodeId(): Uint8Array {
    if (this.#nodeId === undefined) this.#nodeId = nodeIdOfPublicKey(this.publicKey)
    return this.#nodeId
  }

  get ip(): string | undefined {
    return this.#ip('ip', 4)
  }
  get ip6(): string | undefined {
    return this.#ip('ip6', 16)
  }
  get tcp(): number | undefined {
    return this.#port('tcp')
  }
  get udp(): number | undefined {
    return this.#port('udp')
  }
  get tcp6(): number | undefined {
    return this.#port('tcp6')
  }
  get udp6(): number | undefined {
    return this.#port('udp6')
  }

  /** The fork id of the `eth` entry (`[[forkHash, forkNext], ...]`), when present and well-formed. */
  get ethForkId(): ForkId | undefined {
    return ethForkIdOf(this)
  }

  /** `enr:<base64url>`. */
  toText(): string {
    return `enr:${encodeBase64Url(this.raw)}`
  }

  toString(): string {
    return this.toText()
  }

  /** Every pair with the well-known values decoded, for logs and printing. */
  describe(): Record<string, string> {
    const out: Record<string, string> = { seq: this.seq.toString() }
    for (const k of this.#pairs.keys()) {
      switch (k) {
        case 'id':
          out[k] = this.getString(k) ?? '?'
          break
        case 'ip':
          out[k] = this.ip ?? '?'
          break
        case 'ip6':
          out[k] = this.ip6 ?? '?'
          break
        case 'tcp':
        case 'udp':
        case 'tcp6':
        case 'udp6':
        case 'quic':
        case 'quic6':
          out[k] = String(this.getUint(k, 2) ?? '?')
          break
        case 'eth': {
          const f = this.ethForkId
          out[k] = f === undefined ? bytesToHex(this.get(k)!) : `${bytesToHex(f.hash)}/${f.next}`
          break
        }
        default: {
          const v = this.get(k)!
          let content: Uint8Array | undefined
          try {
            content = rlpStringContent(v, k)
          } catch {
            content = undefined
          }
          out[k] = bytesToHex(content ?? v)
        }
      }
    }
    return out
  }

  /** Same signed content (the raw bytes are equal). */
  equals(other: Enr): boolean {
    return equalBytes(this.raw, other.raw)
  }
}

/** The `eth` entry's fork id of a record, or `undefined` (absent, malformed). */
export function ethForkIdOf(enr: Pick<Enr, 'get'>): ForkId | undefined {
  const v = enr.get('eth')
  if (v === undefined) return undefined
  try {
    const item = rlpDecode(v)
    if (!Array.isArray(item)) return undefined
    const fid = item[0]
    if (!Array.isArray(fid) || fid.length < 2) return undefined
    const [hash, next] = fid
    if (!(hash instanceof Uint8Array) || hash.length !== 4) return undefined
    if (!(next instanceof Uint8Array) || next.length > 8 || (next.length > 0 && next[0] === 0)) {
      return undefined
    }
    let n = 0n
    for (const b of next) n = (n << 8n) | BigInt(b)
    return { hash, next: n }
  } catch {
    return undefined
  }
}

/** The RLP input of an `eth` entry carrying `forkId`: `[[hash, next]]`. */
export function ethEntry(forkId: ForkId): RlpInput {
  if (forkId.hash.length !== 4) {
    throw new Discv4Error('ErrInvalidArgument', 'fork hash must be 4 bytes')
  }
  return [[forkId.hash, forkId.next]]
}

/** What {@link ethNodeFilter} and the random walk's fork-id check take. */
export interface EthFilterOptions {
  /**
   * Accept nodes whose record has no `eth` entry, and nodes without a record (default false: a
   * node that does not say which chain it follows is not worth a dial slot on an `eth` network).
   * A malformed `eth` entry is refused either way.
   */
  readonly includeNoEth?: boolean
}

/**
 * The EIP-2124 / EIP-2364 check of a node's record: its `eth` entry (`[[hash, next], ...]`) is
 * decoded and handed to `accept`; a malformed entry, or `accept` throwing, refuses the node; a node
 * without a record or without an `eth` entry passes only with `includeNoEth`.
 */
export function ethRecordAccepted(
  enr: Pick<Enr, 'get'> | undefined,
  accept: (forkId: ForkId) => boolean,
  opts: EthFilterOptions = {},
): boolean {
  if (enr === undefined || enr.get('eth') === undefined) return opts.includeNoEth === true
  const id = ethForkIdOf(enr)
  if (id === undefined) return false
  try {
    return accept(id) === true
  } catch {
    return false
  }
}

/**
 * A node filter for a dialer on an `eth` network: true when the node's record has an `eth`
 * entry whose fork id `accept` takes (say, `(id) => forkFilter(id) === undefined` with the
 * EIP-2124 filter of `@ethwire/handshake`); nodes without a record or an `eth` entry only with
 * `includeNoEth`; a malformed entry never.
 */
export function ethNodeFilter(
  accept: (forkId: ForkId) => boolean,
  opts: EthFilterOptions = {},
): (node: { readonly enr?: Pick<Enr, 'get'> }) => boolean {
  return (node) => ethRecordAccepted(node.enr, accept, opts)
}
