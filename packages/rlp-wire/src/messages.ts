import { Block, type BlockBody, bodyToRlp, decodeBodyRaw } from './block.js'
import { keccak256 } from './bytes.js'
import { MsgCode, type MsgName, maxKnownVersion, maxMessageSizeBytes } from './codes.js'
import { cellMaskSizeBytes, cellSizeBytes } from './constants.js'
import { WireError } from './errors.js'
import { BlockHeader } from './header.js'
import {
  receiptFromEth69,
  receiptFromNetworkRaw,
  receiptToEth69,
  receiptToNetwork,
} from './receipt.js'
import {
  asBool,
  asBytes,
  asFixed,
  asList,
  asUint,
  asUintNumber,
  type RlpInput,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpListElements,
  rlpRaw,
  rlpStringContent,
} from './rlp.js'
import { Transaction } from './transaction.js'
import type {
  BlockRangeUpdate,
  Bytes,
  GetBlockHeadersRequest,
  NewBlockHashesEntry,
  ReceiptData,
  Status,
  StatusEth63,
  StatusEth64,
  StatusEth69,
} from './types.js'

/** Every eth message, decoded. `requestId` is present on eth/66+ for request/response messages. */
export type EthMessage =
  | { name: 'Status'; status: Status }
  | { name: 'NewBlockHashes'; entries: NewBlockHashesEntry[] }
  | { name: 'Transactions'; txs: Transaction[] }
  | { name: 'GetBlockHeaders'; requestId?: bigint; request: GetBlockHeadersRequest }
  | { name: 'BlockHeaders'; requestId?: bigint; headers: BlockHeader[] }
  | { name: 'GetBlockBodies'; requestId?: bigint; hashes: Bytes[] }
  | {
      name: 'BlockBodies'
      requestId?: bigint
      bodies: BlockBody[]
      /**
       * Encoding only: bodies already encoded (each the RLP list `[txs, uncles, withdrawals?]` as
       * `bodyToRlp` makes it, say read from a database), sent as they are after `bodies`. A server
       * answers from its stored bodies without decoding them. Decoding never sets it.
       */
      rawBodies?: Bytes[]
    }
  | { name: 'NewBlock'; block: Block; td: bigint }
  | {
      name: 'NewPooledTransactionHashes'
      hashes: Bytes[]
      /** eth/68+. */
      types?: number[]
      /** eth/68+. */
      sizes?: number[]
      /**
       * eth/72: the 16-byte bitmap of the cell indices the sender holds for every blob of the
       * announced blob transactions. Decoded as received (an empty string, as reth sends for
       * "none", is kept empty); encoded as 16 zero bytes when absent.
       */
      cellMask?: Bytes
    }
  | { name: 'GetPooledTransactions'; requestId?: bigint; hashes: Bytes[] }
  | { name: 'PooledTransactions'; requestId?: bigint; txs: Transaction[] }
  | { name: 'GetNodeData'; requestId?: bigint; hashes: Bytes[] }
  | { name: 'NodeData'; requestId?: bigint; data: Bytes[] }
  | {
      name: 'GetReceipts'
      requestId?: bigint
      hashes: Bytes[]
      /** eth/70+ (EIP-7975): receipts of the first block before this index are left out. Default 0. */
      firstBlockReceiptIndex?: bigint
    }
  | {
      name: 'Receipts'
      requestId?: bigint
      receipts: ReceiptData[][]
      /** eth/70+ (EIP-7975): the last list is the start of its block's receipts only. Default false. */
      lastBlockIncomplete?: boolean
    }
  | { name: 'BlockRangeUpdate'; range: BlockRangeUpdate }
  | { name: 'GetBlockAccessLists'; requestId?: bigint; hashes: Bytes[] }
  | {
      name: 'BlockAccessLists'
      requestId?: bigint
      /**
       * eth/71: one entry per requested hash, the raw RLP of the block access list (a list), or
       * `null` where the peer has none (sent as the empty string). Check an entry against its
       * header with {@link blockAccessListHash}.
       */
      accessLists: (Bytes | null)[]
    }
  | {
      name: 'GetCells'
      requestId?: bigint
      hashes: Bytes[]
      /** The 16-byte bitmap of the cell indices asked for. */
      cellMask: Bytes
    }
  | {
      name: 'Cells'
      requestId?: bigint
      hashes: Bytes[]
      /** Per transaction (same order as `hashes`): for each index set in `cellMask`, one 2048-byte cell per blob. */
      cells: Bytes[][]
      /** The 16-byte bitmap of the cell indices included (a subset of the request's). */
      cellMask: Bytes
    }

/** The message of a given name. */
export type EthMessageOf<N extends MsgName> = Extract<EthMessage, { name: N }>

const codeNames = new Map<number, MsgName>()
for (const [k, v] of Object.entries(MsgCode)) codeNames.set(v, k as MsgName)

/** The message name of a code (any version), or undefined. */
export function messageName(code: number): MsgName | undefined {
  return codeNames.get(code)
}

/** Whether eth/`version` has message `code` (versions 62–72). */
export function versionHasCode(version: number, code: number): boolean {
  if (!Number.isInteger(version) || version < 62 || version > maxKnownVersion) return false
  if (code >= 0x00 && code <= 0x07) return true
  if (code >= 0x08 && code <= 0x0a) return version >= 65
  if (code === 0x0d || code === 0x0e) return version >= 63 && version <= 66
  if (code === 0x0f || code === 0x10) return version >= 63
  if (code === 0x11) return version >= 69
  if (code === 0x12 || code === 0x13) return version >= 71
  if (code === 0x14 || code === 0x15) return version >= 72
  return false
}

/** The message codes eth/`version` has, ascending (empty for versions outside 62–72). */
export function messageCodes(version: number): number[] {
  const out: number[] = []
  for (let c = 0; c <= 0x15; c++) if (versionHasCode(version, c)) out.push(c)
  return out
}

/**
 * Number of message codes the eth capability reserves (go-ethereum's `protocolLengths`):
 * 62 → 8, 63..68 → 17, 69 and 70 → 18, 71 → 20, 72 → 22.
 */
export function protocolLength(version: number): number {
  if (version === 62) return 8
  if (version >= 63 && version <= 68) return 17
  if (version === 69 || version === 70) return 18
  if (version === 71) return 20
  if (version === 72) return 22
  throw new WireError('ErrInvalidValue', `unsupported eth version ${version}`)
}

/** eth/66 and later wrap requests and responses as `[request-id, payload]`. */
export function isRequestIdVersion(version: number): boolean {
  return version >= 66
}

const requestIdMessages = new Set<MsgName>([
  'GetBlockHeaders',
  'BlockHeaders',
  'GetBlockBodies',
  'BlockBodies',
  'GetPooledTransactions',
  'PooledTransactions',
  'GetNodeData',
  'NodeData',
  'GetReceipts',
  'Receipts',
  'GetBlockAccessLists',
  'BlockAccessLists',
  'GetCells',
  'Cells',
])

/**
 * Messages whose request id is the first of several fields rather than `[request-id, payload]`:
 * the number of fields after the id (eth/70 GetReceipts and Receipts; eth/72 GetCells and Cells).
 */
function flatFieldCount(version: number, name: MsgName): number | undefined {
  if (version >= 70 && (name === 'GetReceipts' || name === 'Receipts')) return 2
  if (name === 'GetCells') return 2
  if (name === 'Cells') return 3
  return undefined
}

/** Whether a message carries a request id on eth/66+. */
export function hasRequestId(name: MsgName): boolean {
  return requestIdMessages.has(name)
}

// ---------------------------------------------------------------------------------------------
// Status

export function isStatusEth69(s: Status): s is StatusEth69 {
  return 'earliestBlock' in s
}

export function hasForkId(s: Status): s is StatusEth64 | StatusEth69 {
  return 'forkId' in s
}

/** Encodes a Status in the shape its fields say (63: no fork id; 64–68: fork id; 69: block range). */
export function encodeStatus(s: Status): Uint8Array {
  if (isStatusEth69(s)) {
    return rlpEncode([
      s.version,
      s.networkId,
      s.genesis,
      [s.forkId.hash, s.forkId.next],
      s.earliestBlock,
      s.latestBlock,
      s.latestBlockHash,
    ])
  }
  const base: RlpInput[] = [s.version, s.networkId, s.td, s.head, s.genesis]
  if (hasForkId(s)) base.push([s.forkId.hash, s.forkId.next])
  return rlpEncode(base)
}

function forkIdFromRlp(item: RlpItem | undefined) {
  const f = asList(item, 'status.forkId', 2)
  return { hash: asFixed(f[0], 'forkId.hash', 4), next: asUint(f[1], 'forkId.next', 8) }
}

/** Decodes a Status in the shape of eth/`version`. */
export function decodeStatus(version: number, payload: Uint8Array): Status {
  const item = rlpDecode(payload)
  if (version >= 69) {
    const f = asList(item, 'status', 7)
    return {
      version: asUintNumber(f[0], 'status.version', 4),
      networkId: asUint(f[1], 'status.networkId', 8),
      genesis: asFixed(f[2], 'status.genesis', 32),
      forkId: forkIdFromRlp(f[3]),
      earliestBlock: asUint(f[4], 'status.earliestBlock', 8),
      latestBlock: asUint(f[5], 'status.latestBlock', 8),
      latestBlockHash: asFixed(f[6], 'status.latestBlockHash', 32),
    }
  }
  const withFork = version >= 64
  const f = asList(item, 'status', withFork ? 6 : 5)
  const s: StatusEth63 = {
    version: asUintNumber(f[0], 'status.version', 4),
    networkId: asUint(f[1], 'status.networkId', 8),
    td: asUint(f[2], 'status.td', 32),
    head: asFixed(f[3], 'status.head', 32),
    genesis: asFixed(f[4], 'status.genesis', 32),
  }
  if (!withFork) return s
  return { ...s, forkId: forkIdFromRlp(f[5]) }
}

// ---------------------------------------------------------------------------------------------
// Encoding

function hashList(hs: Bytes[]): RlpInput {
  return hs
}

function innerPayload(version: number, msg: EthMessage): RlpInput | Uint8Array {
  switch (msg.name) {
    case 'NewBlockHashes':
      return msg.entries.map((e) => [e.hash, e.number])
    case 'Transactions':
      return msg.txs.map((t) => t.encodeNetwork())
    case 'PooledTransactions':
      // eth/72 leaves the blobs out of blob transactions (peers fetch cells with GetCells).
      return msg.txs.map((t) => t.encodeNetwork({ elideBlobs: version >= 72 }))
    case 'GetBlockHeaders': {
      const r = msg.request
      const origin = 'hash' in r.origin ? r.origin.hash : r.origin.number
      return [origin, r.amount, r.skip, r.reverse ? 1 : 0]
    }
    case 'BlockHeaders':
      return msg.headers.map((h) => rlpRaw(h.encode()))
    case 'GetBlockBodies':
    case 'GetPooledTransactions':
    case 'GetNodeData':
    case 'GetBlockAccessLists':
      return hashList(msg.hashes)
    case 'GetReceipts':
      if (version < 70) return hashList(msg.hashes)
      return [msg.firstBlockReceiptIndex ?? 0n, hashList(msg.hashes)]
    case 'BlockAccessLists':
      return msg.accessLists.map((b) => {
        if (b === null) return new Uint8Array(0)
        if (b.length === 0 || b[0]! < 0xc0)
          throw new WireError('ErrInvalidValue', 'BlockAccessLists: an entry is not an RLP list')
        return rlpRaw(b)
      })
    case 'GetCells':
      return [hashList(msg.hashes), checkCellMask(msg.cellMask, 'GetCells.cellMask')]
    case 'Cells': {
      const mask = checkCellMask(msg.cellMask, 'Cells.cellMask')
      checkCellGroups(msg.hashes.length, msg.cells, mask)
      return [hashList(msg.hashes), msg.cells, mask]
    }
    case 'BlockBodies': {
      const out: RlpInput[] = msg.bodies.map(bodyToRlp)
      for (const b of msg.rawBodies ?? []) {
        if (b.length === 0 || b[0]! < 0xc0)
          throw new WireError('ErrInvalidValue', 'BlockBodies: a raw body is not an RLP list')
        out.push(rlpRaw(b))
      }
      return out
    }
    case 'NodeData':
      return msg.data
    case 'NewBlock':
      return [rlpRaw(msg.block.encode()), msg.td]
    case 'NewPooledTransactionHashes': {
      if (version < 68) return msg.hashes
      const { types, sizes, hashes } = msg
      if (types === undefined || sizes === undefined) {
        throw new WireError(
          'ErrInvalidValue',
          'NewPooledTransactionHashes on eth/68+ needs types and sizes',
        )
      }
      if (types.length !== hashes.length || sizes.length !== hashes.length) {
        throw new WireError('ErrInvalidValue', 'NewPooledTransactionHashes: array lengths differ')
      }
      for (let i = 0; i < types.length; i++) {
        const t = types[i]!
        const sz = sizes[i]!
        if (
          !Number.isInteger(t) ||
          t < 0 ||
          t > 255 ||
          !Number.isInteger(sz) ||
          sz < 0 ||
          sz > 0xffffffff
        ) {
          throw new WireError(
            'ErrInvalidValue',
            'NewPooledTransactionHashes: type or size out of range',
          )
        }
      }
      if (version < 72) return [Uint8Array.from(types), sizes, hashes]
      const mask = msg.cellMask ?? new Uint8Array(cellMaskSizeBytes)
      if (mask.length !== 0 && mask.length !== cellMaskSizeBytes)
        throw new WireError('ErrInvalidValue', 'NewPooledTransactionHashes: cellMask not 16 bytes')
      return [Uint8Array.from(types), sizes, hashes, mask]
    }
    case 'Receipts': {
      const lists = msg.receipts.map((rs) =>
        rs.map(version >= 69 ? receiptToEth69 : receiptToNetwork),
      )
      if (version < 70) return lists
      if (msg.lastBlockIncomplete && lists.length === 0)
        throw new WireError('ErrInvalidValue', 'Receipts: incomplete flag on an empty response')
      return [msg.lastBlockIncomplete ? 1 : 0, lists]
    }
    case 'BlockRangeUpdate':
      return [msg.range.earliestBlock, msg.range.latestBlock, msg.range.latestBlockHash]
    case 'Status':
      return rlpRaw(encodeStatus(msg.status))
  }
}

/**
 * Encodes `msg` for eth/`version`. Throws `WireError('ErrUnknownCode')` when the version has no
 * such message, `ErrInvalidValue` when a required part (eth/66+ request id, eth/68 types) is missing.
 */
export function encodeMessage(
  version: number,
  msg: EthMessage,
): { code: number; payload: Uint8Array } {
  const code = MsgCode[msg.name]
  if (!versionHasCode(version, code)) {
    throw new WireError('ErrUnknownCode', `eth/${version} has no ${msg.name}`)
  }
  if (msg.name === 'Status') return { code, payload: encodeStatus(msg.status) }
  let body = innerPayload(version, msg)
  if (isRequestIdVersion(version) && requestIdMessages.has(msg.name)) {
    const id = (msg as { requestId?: bigint }).requestId
    if (id === undefined)
      throw new WireError('ErrInvalidValue', `${msg.name} on eth/66+ needs a requestId`)
    body =
      flatFieldCount(version, msg.name) === undefined ? [id, body] : [id, ...(body as RlpInput[])]
  }
  return { code, payload: rlpEncode(body) }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function uintRaw(raw: Uint8Array, field: string, maxBytes: number): bigint {
  return asUint(rlpStringContent(raw, field), field, maxBytes)
}

function hashesFrom(item: RlpItem | undefined, field: string): Bytes[] {
  const l = asList(item, field)
  const out: Bytes[] = new Array(l.length)
  for (let i = 0; i < l.length; i++) out[i] = asFixed(l[i], field, 32)
  return out
}

function originFrom(item: RlpItem | undefined): GetBlockHeadersRequest['origin'] {
  const b = asBytes(item, 'GetBlockHeaders.origin')
  if (b.length === 32) return { hash: b }
  if (b.length <= 8) return { number: asUint(b, 'GetBlockHeaders.origin', 8) }
  throw new WireError('ErrFieldSize', `GetBlockHeaders.origin: ${b.length} bytes (need 32 or <= 8)`)
}

/**
 * Decodes one message of eth/`version` strictly. Any problem is a `WireError`: `ErrMsgTooLarge`
 * over {@link maxMessageSizeBytes}, `ErrUnknownCode` for a code the version lacks, else a decode code.
 */
export function decodeMessage(
  version: number,
  msg: { code: number; payload: Uint8Array },
): EthMessage {
  const { code, payload } = msg
  if (payload.length > maxMessageSizeBytes) {
    throw new WireError(
      'ErrMsgTooLarge',
      `payload of ${payload.length} bytes over ${maxMessageSizeBytes}`,
    )
  }
  if (!versionHasCode(version, code)) {
    throw new WireError(
      'ErrUnknownCode',
      `eth/${version} has no message code 0x${code.toString(16)}`,
    )
  }
  const name = codeNames.get(code)!
  if (name === 'Status') return { name, status: decodeStatus(version, payload) }

  // Split off the request id without touching the inner payload's elements.
  let requestId: bigint | undefined
  let inner = payload
  let fields: Uint8Array[] = []
  if (isRequestIdVersion(version) && requestIdMessages.has(name)) {
    const parts = rlpListElements(payload, name)
    const flat = flatFieldCount(version, name)
    if (parts.length !== (flat ?? 1) + 1)
      throw new WireError(
        'ErrArity',
        flat === undefined
          ? `${name}: expected [request-id, payload]`
          : `${name}: expected the request id and ${flat} fields`,
      )
    requestId = uintRaw(parts[0]!, `${name}.requestId`, 8)
    if (flat === undefined) inner = parts[1]!
    else fields = parts.slice(1)
  }
  const withId = <T extends object>(m: T): T =>
    requestId === undefined ? m : ({ ...m, requestId } as T)

  // The eth/70+ and eth/72 shapes with fields after the request id.
  if (fields.length > 0) return withId(decodeFlat(version, name, fields))

  switch (name) {
    case 'BlockHeaders': {
      const headers = rlpListElements(inner, name).map((raw) => BlockHeader.decode(raw))
      return withId({ name, headers })
    }
    case 'BlockBodies': {
      const bodies = rlpListElements(inner, name).map((raw) => decodeBodyRaw(raw))
      return withId({ name, bodies })
    }
    case 'Transactions': {
      const txs = rlpListElements(inner, name).map((raw) => Transaction.decodeNetworkRaw(raw, true))
      return { name, txs }
    }
    case 'PooledTransactions': {
      // eth/72: blob transactions come without their blobs (commitments and proofs only).
      const blobs = version >= 72 ? 'elided' : 'full'
      const txs = rlpListElements(inner, name).map((raw) =>
        Transaction.decodeNetworkRaw(raw, true, { blobs }),
      )
      return withId({ name, txs })
    }
    case 'Receipts': {
      if (version >= 69) break
      // raw spans: each receipt keeps the consensus bytes its receipts-root check will hash
      const receipts = rlpListElements(inner, name).map((list) =>
        rlpListElements(list, 'Receipts[]').map(receiptFromNetworkRaw),
      )
      return withId({ name, receipts })
    }
    case 'BlockAccessLists': {
      const accessLists = rlpListElements(inner, name).map((raw): Bytes | null => {
        if (raw[0]! >= 0xc0) return raw
        if (raw.length === 1 && raw[0] === 0x80) return null
        throw new WireError(
          'ErrInvalidValue',
          'BlockAccessLists: an entry is neither a list nor empty',
        )
      })
      return withId({ name, accessLists })
    }
    case 'NewBlock': {
      const parts = rlpListElements(inner, name)
      if (parts.length !== 2) throw new WireError('ErrArity', 'NewBlock: expected [block, td]')
      return { name, block: Block.decode(parts[0]!), td: uintRaw(parts[1]!, 'NewBlock.td', 32) }
    }
    default:
      break
  }

  const item = rlpDecode(inner)
  switch (name) {
    case 'NewBlockHashes':
      return {
        name,
        entries: asList(item, name).map((e) => {
          const f = asList(e, 'NewBlockHashes entry', 2)
          return {
            hash: asFixed(f[0], 'NewBlockHashes.hash', 32),
            number: asUint(f[1], 'NewBlockHashes.number', 8),
          }
        }),
      }
    case 'GetBlockHeaders': {
      const f = asList(item, name, 4)
      return withId({
        name,
        request: {
          origin: originFrom(f[0]),
          amount: asUint(f[1], 'GetBlockHeaders.amount', 8),
          skip: asUint(f[2], 'GetBlockHeaders.skip', 8),
          reverse: asBool(f[3], 'GetBlockHeaders.reverse'),
        },
      })
    }
    case 'GetBlockBodies':
    case 'GetPooledTransactions':
    case 'GetNodeData':
    case 'GetReceipts':
    case 'GetBlockAccessLists':
      return withId({ name, hashes: hashesFrom(item, name) })
    case 'NodeData':
      return withId({ name, data: asList(item, name).map((d) => asBytes(d, 'NodeData[]')) })
    case 'NewPooledTransactionHashes': {
      if (version < 68) return { name, hashes: hashesFrom(item, name) }
      const f = asList(item, name, version >= 72 ? 4 : 3)
      const typesB = asBytes(f[0], 'NewPooledTransactionHashes.types')
      const sizes = asList(f[1], 'NewPooledTransactionHashes.sizes').map((s) =>
        asUintNumber(s, 'NewPooledTransactionHashes.size', 4),
      )
      const hashes = hashesFrom(f[2], 'NewPooledTransactionHashes.hashes')
      if (typesB.length !== hashes.length || sizes.length !== hashes.length) {
        throw new WireError('ErrInvalidValue', 'NewPooledTransactionHashes: array lengths differ')
      }
      if (version < 72) return { name, types: Array.from(typesB), sizes, hashes }
      const cellMask = asBytes(f[3], 'NewPooledTransactionHashes.cellMask')
      if (cellMask.length !== 0 && cellMask.length !== cellMaskSizeBytes)
        throw new WireError('ErrFieldSize', 'NewPooledTransactionHashes.cellMask: not 16 bytes')
      return { name, types: Array.from(typesB), sizes, hashes, cellMask }
    }
    case 'Receipts': {
      // eth/69 (eth/66–68 took the raw path above)
      const receipts = asList(item, name).map((rs) =>
        asList(rs, 'Receipts[]').map(receiptFromEth69),
      )
      return withId({ name, receipts })
    }
    case 'BlockRangeUpdate': {
      const f = asList(item, name, 3)
      const range = {
        earliestBlock: asUint(f[0], 'BlockRangeUpdate.earliestBlock', 8),
        latestBlock: asUint(f[1], 'BlockRangeUpdate.latestBlock', 8),
        latestBlockHash: asFixed(f[2], 'BlockRangeUpdate.latestBlockHash', 32),
      }
      if (range.earliestBlock > range.latestBlock) {
        throw new WireError('ErrInvalidValue', 'BlockRangeUpdate: earliest after latest')
      }
      return { name, range }
    }
    default:
      throw new WireError('ErrUnknownCode', `no decoder for ${name}`)
  }
}

function checkCellMask(mask: Bytes | undefined, field: string): Bytes {
  if (mask === undefined || mask.length !== cellMaskSizeBytes)
    throw new WireError('ErrInvalidValue', `${field}: not ${cellMaskSizeBytes} bytes`)
  return mask
}

function popcount(mask: Bytes): number {
  let n = 0
  for (const b of mask) for (let x = b; x !== 0; x &= x - 1) n++
  return n
}

/**
 * The eth/72 Cells consistency the spec asks for without the blobs at hand: one group per
 * transaction hash, and each group a whole number of cells for every index in the mask
 * (cells per blob × blobs), none empty.
 */
function checkCellGroups(hashCount: number, groups: Bytes[][], mask: Bytes): void {
  if (groups.length !== hashCount)
    throw new WireError('ErrInvalidValue', 'Cells: not one group of cells per transaction')
  const k = popcount(mask)
  for (const g of groups) {
    if (k === 0 ? g.length !== 0 : g.length === 0 || g.length % k !== 0)
      throw new WireError('ErrInvalidValue', 'Cells: a group does not match the cell mask')
    for (const c of g)
      if (c.length !== cellSizeBytes)
        throw new WireError('ErrFieldSize', `Cells: a cell of ${c.length} bytes`)
  }
}

function decodeFlat(version: number, name: MsgName, f: Uint8Array[]): EthMessage {
  switch (name) {
    case 'GetReceipts':
      return {
        name,
        firstBlockReceiptIndex: uintRaw(f[0]!, 'GetReceipts.firstBlockReceiptIndex', 8),
        hashes: hashesFrom(rlpDecode(f[1]!), name),
      }
    case 'Receipts': {
      const lastBlockIncomplete = asBool(rlpDecode(f[0]!), 'Receipts.lastBlockIncomplete')
      const per = receiptFromEth69
      const receipts = asList(rlpDecode(f[1]!), name).map((rs) => asList(rs, 'Receipts[]').map(per))
      if (lastBlockIncomplete && receipts.length === 0)
        throw new WireError('ErrInvalidValue', 'Receipts: incomplete flag on an empty response')
      return { name, receipts, lastBlockIncomplete }
    }
    case 'GetCells': {
      const cellMask = asFixed(rlpDecode(f[1]!), 'GetCells.cellMask', cellMaskSizeBytes)
      return { name, hashes: hashesFrom(rlpDecode(f[0]!), name), cellMask }
    }
    case 'Cells': {
      const hashes = hashesFrom(rlpDecode(f[0]!), name)
      const cells = asList(rlpDecode(f[1]!), 'Cells.cells').map((g) =>
        asList(g, 'Cells.cells[]').map((c) => asFixed(c, 'Cells.cell', cellSizeBytes)),
      )
      const cellMask = asFixed(rlpDecode(f[2]!), 'Cells.cellMask', cellMaskSizeBytes)
      checkCellGroups(hashes.length, cells, cellMask)
      return { name, hashes, cells, cellMask }
    }
    default:
      throw new WireError('ErrUnknownCode', `eth/${version}: no flat decoder for ${name}`)
  }
}

/**
 * keccak256 of a block access list's RLP (an entry of eth/71 `BlockAccessLists`): compare it with
 * the header's `blockAccessListHash` (EIP-7928). The inner structure is not decoded here.
 */
export function blockAccessListHash(raw: Bytes): Bytes {
  return keccak256(raw)
}
