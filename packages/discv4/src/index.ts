/**
 * @ethwire/discv4 — finding Ethereum nodes (not connecting to them): the discv4 UDP protocol
 * with EIP-8 and EIP-868, a go-ethereum-shaped Kademlia table (17 buckets of 16, replacements,
 * revalidation, IP limits, persistence), node records (EIP-778) with the `eth` fork-id entry,
 * and EIP-1459 DNS node lists. A dialer takes nodes from `randomNodes()`.
 *
 * @example
 * ```ts
 * import { createDiscv4 } from '@ethwire/discv4'
 *
 * const disc = createDiscv4({}, {
 *   privateKey: nodeKey, // the RLPx node key
 *   listen: { host: '0.0.0.0', port: 30303 },
 *   tcpPort: 30303,
 *   bootnodes: ['enode://…@18.138.108.67:30303'],
 *   dataDir: './datadir',
 *   forkId: { hash: Uint8Array.of(0xfc, 0x64, 0xec, 0x04), next: 1150000n },
 *   nodeFilter: (n) => n.enr?.ethForkId !== undefined,
 * })
 * await disc.start()
 * for await (const node of disc.randomNodes()) {
 *   console.log(node.idHex, node.ip, node.tcpPort) // dial it over RLPx
 * }
 * await disc.stop()
 * ```
 */
export {
  bondExpirationMs,
  bucketCount,
  bucketIpLimit,
  bucketMinDistance,
  bucketSize,
  dnsCacheEntries,
  dnsRateLimitPerSecond,
  dnsRecheckIntervalMs,
  dnsTimeoutMs,
  ipLimitSubnetBits,
  lookupConcurrency,
  maxEnrSizeBytes,
  maxNeighborsPerPacket,
  maxPacketSizeBytes,
  maxParallelEnrRequests,
  maxReplacements,
  nodesFileName,
  packetExpirationMs,
  refreshIntervalMs,
  responseTimeoutMs,
  revalidationIntervalMs,
  seedCount,
  seedMaxAgeMs,
  tableIpLimit,
} from './constants.js'
export {
  createDiscv4,
  type Discv4,
  type Discv4Deps,
  type Discv4Events,
  type Discv4Options,
  type Discv4Stats,
  type LookupOptions,
  type TableEntryInfo,
} from './discovery.js'
export {
  createDnsClient,
  DnsClient,
  type DnsClientDeps,
  type DnsClientOptions,
  type SyncedTree,
} from './dns/client.js'
export { systemTxtResolver } from './dns/resolver.js'
export {
  type BranchEntry,
  base32Decode,
  base32Encode,
  buildDnsTree,
  type EnrEntry,
  formatLink,
  type LinkEntry,
  parseEntry,
  parseLink,
  parseRoot,
  type RootEntry,
  type SignedTree,
  subdomainOf,
  type TreeEntry,
  verifyRoot,
} from './dns/tree.js'
export {
  decodeBase64Url,
  Enr,
  type EthFilterOptions,
  ethEntry,
  ethForkIdOf,
  ethNodeFilter,
  ethRecordAccepted,
  type ForkId,
} from './enr.js'
export { Discv4Error, type Discv4ErrorCode, isDiscv4Error } from './errors.js'
export {
  bytesToIp,
  DistinctNetSet,
  ipToBytes,
  isLanIp,
  isSpecialIp,
  Netlist,
  relayIpProblem,
} from './ip.js'
export {
  compressPublicKey,
  decompressPublicKey,
  nodeIdOfPublicKey,
  publicKeyOf,
  randomPrivateKey,
  signerName,
} from './keys.js'
export {
  type DiscoveredNode,
  distCompare,
  enodeUrl,
  logDistance,
  makeNode,
  nodeFromEnode,
  nodeFromEnr,
  nodeSeq,
  type ParsedEnode,
  parseEnode,
  withEnr,
} from './node.js'
export type { RandomNodesOptions } from './random-nodes.js'
export { udpSocketFactory } from './socket.js'
export {
  type AddResult,
  KademliaTable,
  type RevalidationList,
  type TableEntry,
  type TableOptions,
} from './table.js'
export type {
  Clock,
  DatagramSocket,
  Logger,
  RandomSource,
  SocketFactory,
  TxtResolver,
  UdpAddress,
} from './types.js'
export {
  type DecodedPacket,
  decodePacket,
  type Endpoint,
  type EnrRequestPacket,
  type EnrResponsePacket,
  encodePacket,
  type FindNodePacket,
  isExpired,
  type NeighborsPacket,
  type Packet,
  PacketType,
  type PingPacket,
  type PongPacket,
  packetTypeName,
  recoverSender,
  type WireNode,
} from './wire.js'
