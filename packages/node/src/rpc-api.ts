/** The JSON-RPC methods (go-ethereum shapes: hex quantities, 0x data). */
import { recoverAddress } from '@ethwire/crypto'
import {
  type Block,
  type BlockHeader,
  bytesToHex,
  hexToBytes,
  keccak256 as keccak,
  type Transaction,
} from '@ethwire/rlp-wire'
import { isTxPoolError } from '@ethwire/txpool'
import { isNodeError } from './errors.js'
import type { EthwireNode } from './node.js'
import { RpcError, RpcErrorCode, type RpcMethods } from './rpc.js'
import { clientId } from './version.js'

/** go-ethereum's code for "server error" (transaction rejected, dial failed, …). */
export const rpcServerErrorCode = -32000

const qty = (n: bigint | number) => `0x${n.toString(16)}`

function invalid(message: string): never {
  throw new RpcError(RpcErrorCode.InvalidParams, message)
}

function param(params: unknown[], i: number, name: string): unknown {
  if (params.length <= i || params[i] === undefined)
    invalid(`missing value for required argument ${i} (${name})`)
  return params[i]
}

function hashParam(params: unknown[], i: number): Uint8Array {
  const v = param(params, i, 'hash')
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
    invalid(`invalid argument ${i}: hex string of 32 bytes expected`)
  return hexToBytes(v)
}

function boolParam(params: unknown[], i: number): boolean {
  const v = params[i]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') invalid(`invalid argument ${i}: boolean expected`)
  return v
}

function dataParam(params: unknown[], i: number): Uint8Array {
  const v = param(params, i, 'data')
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v))
    invalid(`invalid argument ${i}: hex data expected`)
  return hexToBytes(v)
}

/** Block tag or number → a height (pending/safe/finalized = latest: we have no pending block). */
function blockNumberParam(params: unknown[], i: number, head: bigint): bigint {
  const v = param(params, i, 'blockNumber')
  if (typeof v !== 'string') invalid(`invalid argument ${i}: block number or tag expected`)
  switch (v) {
    case 'latest':
    case 'pending':
    case 'safe':
    case 'finalized':
      return head
    case 'earliest':
      return 0n
  }
  if (!/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/.test(v))
    invalid(`invalid argument ${i}: hex number without leading zeros expected`)
  return BigInt(v)
}

export function senderOf(tx: Transaction): string | undefined {
  try {
    return bytesToHex(recoverAddress(tx.sigHash(), tx.r, tx.s, tx.recovery))
  } catch {
    return undefined
  }
}

/** A transaction as eth_getTransactionByHash returns it. */
export function formatTransaction(
  tx: Transaction,
  from: string | undefined,
  where?: { block: BlockHeader; index: number },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    blockHash: where ? bytesToHex(where.block.hash) : null,
    blockNumber: where ? qty(where.block.number) : null,
    from: from ?? senderOf(tx) ?? null,
    gas: qty(tx.gasLimit),
    hash: bytesToHex(tx.hash),
    input: bytesToHex(tx.data),
    nonce: qty(tx.nonce),
    to: tx.to ? bytesToHex(tx.to) : null,
    transactionIndex: where ? qty(where.index) : null,
    value: qty(tx.value),
    type: qty(tx.type),
    v: qty(tx.v),
    r: qty(tx.r),
    s: qty(tx.s),
  }
  if (tx.type === 0) {
    out.gasPrice = qty(tx.gasPrice ?? 0n)
    const cid = tx.chainIdOrUndefined
    if (cid !== undefined) out.chainId = qty(cid)
  } else {
    out.chainId = qty(tx.chainId ?? 0n)
    out.yParity = qty(tx.recovery)
    out.accessList = (tx.accessList ?? []).map((e) => ({
      address: bytesToHex(e.address),
      storageKeys: e.storageKeys.map((k) => bytesToHex(k)),
    }))
    if (tx.type === 1) out.gasPrice = qty(tx.gasPrice ?? 0n)
    else {
      out.maxFeePerGas = qty(tx.maxFeePerGas ?? 0n)
      out.maxPriorityFeePerGas = qty(tx.maxPriorityFeePerGas ?? 0n)
      // go-ethereum reports the effective price for mined txs and the fee cap for pending ones
      const baseFee = where?.block.baseFee
      const tip = tx.maxPriorityFeePerGas ?? 0n
      const cap = tx.maxFeePerGas ?? 0n
      out.gasPrice = qty(baseFee !== undefined ? (baseFee + tip < cap ? baseFee + tip : cap) : cap)
    }
    if (tx.type === 3) {
      out.maxFeePerBlobGas = qty(tx.maxFeePerBlobGas ?? 0n)
      out.blobVersionedHashes = (tx.blobVersionedHashes ?? []).map((h) => bytesToHex(h))
    }
    if (tx.type === 4)
      out.authorizationList = (tx.authorizationList ?? []).map((a) => ({
        chainId: qty(a.chainId),
        address: bytesToHex(a.address),
        nonce: qty(a.nonce),
        yParity: qty(a.yParity),
        r: qty(a.r),
        s: qty(a.s),
      }))
  }
  return out
}

/** A block as eth_getBlockByNumber returns it. */
export function formatBlock(
  block: Block,
  td: bigint | undefined,
  fullTxs: boolean,
): Record<string, unknown> {
  const h = block.header
  const out: Record<string, unknown> = {
    number: qty(h.number),
    hash: bytesToHex(block.hash),
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    mixHash: bytesToHex(h.mixDigest),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.bloom),
    transactionsRoot: bytesToHex(h.txRoot),
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptRoot),
    miner: bytesToHex(h.coinbase),
    difficulty: qty(h.difficulty),
    extraData: bytesToHex(h.extra),
    size: qty(block.encode().length),
    gasLimit: qty(h.gasLimit),
    gasUsed: qty(h.gasUsed),
    timestamp: qty(h.time),
    transactions: fullTxs
      ? block.transactions.map((tx, index) => formatTransaction(tx, undefined, { block: h, index }))
      : block.transactions.map((tx) => bytesToHex(tx.hash)),
    uncles: block.uncles.map((u) => bytesToHex(u.hash)),
  }
  if (td !== undefined) out.totalDifficulty = qty(td)
  if (h.baseFee !== undefined) out.baseFeePerGas = qty(h.baseFee)
  if (h.withdrawalsRoot !== undefined) {
    out.withdrawalsRoot = bytesToHex(h.withdrawalsRoot)
    out.withdrawals = (block.withdrawals ?? []).map((w) => ({
      index: qty(w.index),
      validatorIndex: qty(w.validatorIndex),
      address: bytesToHex(w.address),
      amount: qty(w.amount),
    }))
  }
  if (h.blobGasUsed !== undefined) out.blobGasUsed = qty(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) out.excessBlobGas = qty(h.excessBlobGas)
  if (h.parentBeaconRoot !== undefined) out.parentBeaconBlockRoot = bytesToHex(h.parentBeaconRoot)
  if (h.requestsHash !== undefined) out.requestsHash = bytesToHex(h.requestsHash)
  return out
}

function peerInfoJson(p: ReturnType<EthwireNode['pm']['peerInfos']>[number]) {
  return {
    id: p.id,
    name: '',
    ...(p.transport === 'rlpx' ? { enode: p.remoteAddress } : {}),
    network: { remoteAddress: p.remoteAddress, inbound: !!p.inbound, transport: p.transport },
    protocols: {
      eth: {
        version: p.version,
        head: p.head,
        ...(p.td !== undefined ? { difficulty: p.td.toString() } : {}),
        ...(p.earliest !== undefined ? { earliestBlock: qty(p.earliest) } : {}),
        ...(p.latest !== undefined ? { latestBlock: qty(p.latest) } : {}),
      },
    },
  }
}

/** The method table for a started node. */
export function createRpcMethods(node: EthwireNode): RpcMethods {
  const blockResult = async (block: Block | undefined, full: boolean) =>
    block ? formatBlock(block, await node.chain.getTd(block.hash), full) : null

  const formatPool = (content: ReturnType<EthwireNode['txPool']['content']>) => {
    const conv = (m: Record<string, Record<string, Transaction>>) => {
      const out: Record<string, Record<string, unknown>> = {}
      for (const [sender, byNonce] of Object.entries(m)) {
        const o: Record<string, unknown> = {}
        for (const [nonce, tx] of Object.entries(byNonce)) o[nonce] = formatTransaction(tx, sender)
        out[sender] = o
      }
      return out
    }
    return {
      pending: conv(content.pending as unknown as Record<string, Record<string, Transaction>>),
      queued: conv(content.queued as unknown as Record<string, Record<string, Transaction>>),
    }
  }

  return {
    web3_clientVersion: () => clientId,
    web3_sha3: (params) => bytesToHex(keccak(dataParam(params, 0))),
    net_version: () => node.networkId.toString(),
    net_listening: () => node.running,
    net_peerCount: () => qty(node.pm.peerCount),
    eth_chainId: () => qty(BigInt(node.chain.config.chainId ?? 1)),
    eth_blockNumber: () => qty(node.chain.currentHeader().number),
    eth_syncing: () => {
      const s = node.pm.syncing()
      if (!s) return false
      return {
        startingBlock: qty(s.startingBlock),
        currentBlock: qty(s.currentBlock),
        highestBlock: qty(s.highestBlock),
      }
    },
    eth_getBlockByNumber: async (params) => {
      const n = blockNumberParam(params, 0, node.chain.currentHeader().number)
      return blockResult(await node.chain.getBlockByNumber(n), boolParam(params, 1))
    },
    eth_getBlockByHash: async (params) =>
      blockResult(await node.chain.getBlockByHash(hashParam(params, 0)), boolParam(params, 1)),
    eth_getBlockTransactionCountByNumber: async (params) => {
      const n = blockNumberParam(params, 0, node.chain.currentHeader().number)
      const b = await node.chain.getBlockByNumber(n)
      return b ? qty(b.transactions.length) : null
    },
    eth_sendRawTransaction: async (params) => {
      const raw = dataParam(params, 0)
      try {
        const added = await node.txPool.addRaw(raw, { local: true })
        return added.hashHex
      } catch (e) {
        if (isTxPoolError(e)) throw new RpcError(rpcServerErrorCode, e.message, { code: e.code })
        throw e
      }
    },
    eth_getTransactionByHash: async (params) => {
      const hash = hashParam(params, 0)
      const pooled = node.txPool.get(hash)
      if (pooled) return formatTransaction(pooled.tx, pooled.senderHex)
      const mined = await node.findMinedTx(bytesToHex(hash))
      if (mined)
        return formatTransaction(mined.tx, undefined, {
          block: mined.block.header,
          index: mined.index,
        })
      return null
    },
    txpool_status: () => {
      const s = node.txPool.status()
      return { pending: qty(s.pending), queued: qty(s.queued) }
    },
    txpool_content: () => formatPool(node.txPool.content()),
    admin_nodeInfo: () => {
      const head = node.chain.currentHeader()
      const enode = node.enode
      const listenAddrs = node.multiaddrs
      return {
        id: node.libp2p.peerId,
        name: clientId,
        enode: enode ?? null,
        nodeId: node.rlpx?.nodeId ?? null,
        ip: node.config.listenHost ?? '127.0.0.1',
        listenAddr: listenAddrs[0] ?? null,
        listenAddrs,
        ports: {
          discovery: 0,
          listener: enode ? Number(/:(\d+)(\?|$)/.exec(enode)?.[1] ?? 0) : 0,
          libp2p: Number(/\/tcp\/(\d+)/.exec(listenAddrs[0] ?? '')?.[1] ?? 0),
        },
        protocols: {
          eth: {
            network: Number(node.networkId),
            difficulty: node.chain.currentTd().toString(),
            genesis: bytesToHex(node.chain.genesis.hash),
            config: node.chain.config,
            head: bytesToHex(head.hash),
            headNumber: qty(head.number),
          },
        },
      }
    },
    debug_wireStats: () => {
      const p = node.pm.parts.downloader.progress()
      return {
        ...node.pm.stats(),
        // headers known to the downloader: imported blocks plus header slots waiting for bodies
        headersDownloaded: Number(p.currentBlock) + p.pendingResults,
        syncHighest: Number(p.highestBlock),
        peers: node.pm.peerCount,
        head: Number(node.chain.currentHeader().number),
      }
    },
    admin_peers: () => node.pm.peerInfos().map(peerInfoJson),
    admin_addPeer: async (params) => {
      const url = param(params, 0, 'url')
      if (typeof url !== 'string') invalid('invalid argument 0: string expected')
      try {
        await node.addPeer(url)
        return true
      } catch (e) {
        if (isNodeError(e, 'ErrBadPeerAddress')) invalid(e.message)
        throw new RpcError(rpcServerErrorCode, `dial failed: ${(e as Error).message}`)
      }
    },
  }
}
