import { Block, type BlockBody, bodyToRlp, decodeBodyRaw } from './block.js'
import { MsgCode, type MsgName, maxMessageSizeBytes } from './codes.js'
import { WireError } from './errors.js'
import { BlockHeader } from './header.js'
import {
  receiptFromEth69,
  receiptFromNetwork,
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
  | { name: 'BlockBodies'; requestId?: bigint; bodies: BlockBody[] }
  | { name: 'NewBlock'; block: Block; td: bigint }
  | { name: 'NewPooledTransactionHashes'; hashes: Bytes[]; types?: number[]; sizes?: number[] }
  | { name: 'GetPooledTransactions'; requestId?: bigint; hashes: Bytes[] }
  | { name: 'PooledTransactions'; requestId?: bigint; txs: Transaction[] }
  | { name: 'GetNodeData'; requestId?: bigint; hashes: Bytes[] }
  | { name: 'NodeData'; requestId?: bigint; data: Bytes[] }
  | { name: 'GetReceipts'; requestId?: bigint; hashes: Bytes[] }
  | { name: 'Receipts'; requestId?: bigint; receipts: ReceiptData[][] }
  | { name: 'BlockRangeUpdate'; range: BlockRangeUpdate }

/** The message of a given name. */
export type EthMessageOf<N extends MsgName> = Extract<EthMessage, { name: N }>

const codeNames = new Map<number, MsgName>()
for (const [k, v] of Object.entries(MsgCode)) codeNames.set(v, k as MsgName)

/** The message name of a code (any version), or undefined. */
export function messageName(code: number): MsgName | undefined {
  return codeNames.get(code)
}

/** Whether eth/`version` has message `code` (versions 62–69). */
export function versionHasCode(version: number, code: number): boolean {
  if (!Number.isInteger(version) || version < 62 || version > 69) return false
  if (code >= 0x00 && code <= 0x07) return true
  if (code >= 0x08 && code <= 0x0a) return version >= 65
  if (code === 0x0d || code === 0x0e) return version >= 63 && version <= 66
  if (code === 0x0f || code === 0x10) return version >= 63
  if (code === 0x11) return version >= 69
  return false
}

/** The message codes eth/`version` has, ascending (empty for versions outside 62–69). */
export function messageCodes(version: number): number[] {
  const out: number[] = []
  for (let c = 0; c <= 0x11; c++) if (versionHasCode(version, c)) out.push(c)
  return out
}

/** Number of message codes the eth capability reserves: 62 → 8, 63..68 → 17, 69 → 18. */
export function protocolLength(version: number): number {
  if (version === 62) return 8
  if (version >= 63 && version <= 68) return 17
  if (version === 69) return 18
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
])

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
    case 'PooledTransactions':
      return msg.txs.map((t) => t.encodeNetwork())
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
    case 'GetReceipts':
      return hashList(msg.hashes)
    case 'BlockBodies':
      return msg.bodies.map(bodyToRlp)
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
      return [Uint8Array.from(types), sizes, hashes]
    }
    case 'Receipts':
      return msg.receipts.map((rs) => rs.map(version >= 69 ? receiptToEth69 : receiptToNetwork))
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
    body = [id, body]
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
  if (isRequestIdVersion(version) && requestIdMessages.has(name)) {
    const parts = rlpListElements(payload, name)
    if (parts.length !== 2)
      throw new WireError('ErrArity', `${name}: expected [request-id, payload]`)
    requestId = uintRaw(parts[0]!, `${name}.requestId`, 8)
    inner = parts[1]!
  }
  const withId = <T extends object>(m: T): T =>
    requestId === undefined ? m : ({ ...m, requestId } as T)

  switch (name) {
    case 'BlockHeaders': {
      const headers = rlpListElements(inner, name).map((raw) => BlockHeader.decode(raw))
      return withId({ name, headers })
    }
    case 'BlockBodies': {
      const bodies = rlpListElements(inner, name).map((raw) => decodeBodyRaw(raw))
      return withId({ name, bodies })
    }
    case 'Transactions':
    case 'PooledTransactions': {
      const txs = rlpListElements(inner, name).map((raw) => Transaction.decodeNetworkRaw(raw, true))
      return withId({ name, txs })
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
      return withId({ name, hashes: hashesFrom(item, name) })
    case 'NodeData':
      return withId({ name, data: asList(item, name).map((d) => asBytes(d, 'NodeData[]')) })
    case 'NewPooledTransactionHashes': {
      if (version < 68) return { name, hashes: hashesFrom(item, name) }
      const f = asList(item, name, 3)
      const typesB = asBytes(f[0], 'NewPooledTransactionHashes.types')
      const sizes = asList(f[1], 'NewPooledTransactionHashes.sizes').map((s) =>
        asUintNumber(s, 'NewPooledTransactionHashes.size', 4),
      )
      const hashes = hashesFrom(f[2], 'NewPooledTransactionHashes.hashes')
      if (typesB.length !== hashes.length || sizes.length !== hashes.length) {
        throw new WireError('ErrInvalidValue', 'NewPooledTransactionHashes: array lengths differ')
      }
      return { name, types: Array.from(typesB), sizes, hashes }
    }
    case 'Receipts': {
      const per = version >= 69 ? receiptFromEth69 : receiptFromNetwork
      const receipts = asList(item, name).map((rs) => asList(rs, 'Receipts[]').map(per))
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
