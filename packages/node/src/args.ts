/**
 * go-ethereum style command line: `ethwire [command] [--flag value | --flag=value | --bool] [args]`.
 * Single or double dashes; a boolean flag takes `--flag`, `--flag=false` or `--flag false`.
 */

import { hexToBytes } from '@ethwire/rlp-wire'
import {
  defaultAccountQueue,
  defaultAccountSlots,
  defaultGlobalQueue,
  defaultGlobalSlots,
} from '@ethwire/txpool'
import {
  defaultDevPeriodSeconds,
  defaultHttpHost,
  defaultHttpPort,
  defaultImportBatchBlocks,
  defaultLibp2pPort,
  defaultListenHost,
  defaultMaxPeers,
  defaultMinSyncPeers,
  defaultSyncIntervalMs,
  defaultWsHost,
  defaultWsPort,
  maxExtraDataBytes,
} from './constants.js'
import { defaultMetricsHost, defaultMetricsPort } from './metrics/constants.js'
import type { NodeConfig } from './node.js'

export interface NodeFlags {
  datadir: string
  networkid?: bigint
  /** libp2p TCP port. */
  port: number
  /** Listen address of both transports. */
  addr: string
  'rlpx.port'?: number
  http: boolean
  'http.port': number
  'http.addr': string
  bootnodes: string[]
  maxpeers: number
  dev: boolean
  'dev.period': number
  fakepow: boolean
  verbosity: number
  nodiscover: boolean
  syncinterval: number
  minsyncpeers: number
  /** Allowed eth versions (both transports). Empty = all supported. */
  eth: number[]
  txannounce: boolean
  /** `import`: blocks per database write. */
  'import.batch': number
  /** txpool: executable transaction slots guaranteed over all accounts. */
  'txpool.globalslots'?: number
  /** txpool: executable transaction slots guaranteed per account. */
  'txpool.accountslots'?: number
  /** txpool: non-executable transaction slots over all accounts. */
  'txpool.globalqueue'?: number
  /** txpool: non-executable transaction slots per account. */
  'txpool.accountqueue'?: number
  /** Miner fee recipient (0x address); clique pays the signer instead. */
  'miner.etherbase'?: string
  /** Miner: target block gas limit. */
  'miner.gaslimit'?: bigint
  /** Miner: extra-data of mined blocks (0x hex or text, at most 32 bytes). */
  'miner.extradata'?: string
  /** `extip:<ip>` (the address in our enode URL), `none` or `any` (default: the listen address). */
  nat?: string
  // --- networking: discovery, presets, libp2p WebSockets, metrics (wt/nodenet)
  /** discv4 discovery (default: on when RLPx listens); `--nodiscover` turns it off. */
  discovery?: boolean
  /** discv4 UDP port (default the RLPx port). */
  'discovery.port'?: number
  /** EIP-1459 DNS node lists (`enrtree://…`). */
  'discovery.dns'?: string[]
  mainnet: boolean
  sepolia: boolean
  holesky: boolean
  hoodi: boolean
  /** libp2p WebSockets listen port. */
  'ws.libp2p'?: number
  metrics: boolean
  'metrics.addr': string
  'metrics.port': number
  /** `fast` or `full` (go-ethereum's `--syncmode`; default full). */
  syncmode: 'fast' | 'full'
  /** Namespaces served over HTTP (default all). */
  'http.api'?: string[]
  /** Origins sent CORS headers (default none). */
  'http.corsdomain'?: string[]
  /** Allowed Host header names (default localhost). */
  'http.vhosts'?: string[]
  /** WebSocket JSON-RPC. */
  ws: boolean
  'ws.addr': string
  'ws.port': number
  'ws.api'?: string[]
  'ws.origins'?: string[]
  /** Keystore folder (default `<datadir>/keystore`). */
  keystore?: string
  /** Light scrypt parameters for new key files. */
  lightkdf: boolean
  /** File with one password per line (`--unlock`, `account new|import`). */
  password?: string
  /** Comma-separated accounts to unlock (addresses or indices). */
  unlock?: string
  'allow-insecure-unlock': boolean
  /** Fee cap of RPC-sent transactions in ether (decimal; 0 = no cap). */
  'rpc.txfeecap'?: string
  /** go-ethereum's `--history.logs.disable`: no log index; `eth_getLogs` scans headers. */
  'history.logs.disable': boolean
}

export interface ParsedArgs {
  command: Command | undefined
  positional: string[]
  flags: NodeFlags
  /** Flags given explicitly on the command line. */
  given: Set<string>
}

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

type FlagKind = 'string' | 'int' | 'bigint' | 'bool' | 'list' | 'intlist'
const FLAGS: Record<string, FlagKind> = {
  datadir: 'string',
  networkid: 'bigint',
  port: 'int',
  addr: 'string',
  'rlpx.port': 'int',
  http: 'bool',
  'http.port': 'int',
  'http.addr': 'string',
  bootnodes: 'list',
  maxpeers: 'int',
  dev: 'bool',
  'dev.period': 'int',
  fakepow: 'bool',
  verbosity: 'int',
  nodiscover: 'bool',
  syncinterval: 'int',
  minsyncpeers: 'int',
  eth: 'intlist',
  txannounce: 'bool',
  'import.batch': 'int',
  nat: 'string',
  'txpool.globalslots': 'int',
  'txpool.accountslots': 'int',
  'txpool.globalqueue': 'int',
  'miner.etherbase': 'string',
  'miner.gaslimit': 'bigint',
  'miner.extradata': 'string',
  'txpool.accountqueue': 'int',
  // --- networking: discovery, presets, libp2p WebSockets, metrics (wt/nodenet)
  discovery: 'bool',
  'discovery.port': 'int',
  'discovery.dns': 'list',
  mainnet: 'bool',
  sepolia: 'bool',
  holesky: 'bool',
  hoodi: 'bool',
  'ws.libp2p': 'int',
  metrics: 'bool',
  'metrics.addr': 'string',
  'metrics.port': 'int',
  syncmode: 'string',
  'http.api': 'list',
  'http.corsdomain': 'list',
  'http.vhosts': 'list',
  ws: 'bool',
  'ws.addr': 'string',
  'ws.port': 'int',
  'ws.api': 'list',
  'ws.origins': 'list',
  keystore: 'string',
  lightkdf: 'bool',
  password: 'string',
  unlock: 'string',
  'allow-insecure-unlock': 'bool',
  'rpc.txfeecap': 'string',
  'history.logs.disable': 'bool',
}

export const COMMANDS = [
  'init',
  'import',
  'export',
  'dumpgenesis',
  'devchain',
  'account',
  'help',
  'version',
] as const
export type Command = (typeof COMMANDS)[number]

export function defaultFlags(): NodeFlags {
  return {
    datadir: '.ethwire',
    port: defaultLibp2pPort,
    addr: defaultListenHost,
    http: false,
    'http.port': defaultHttpPort,
    'http.addr': defaultHttpHost,
    bootnodes: [],
    maxpeers: defaultMaxPeers,
    dev: false,
    'dev.period': defaultDevPeriodSeconds,
    fakepow: false,
    verbosity: 3,
    nodiscover: false,
    syncinterval: defaultSyncIntervalMs,
    minsyncpeers: defaultMinSyncPeers,
    eth: [],
    txannounce: true,
    'import.batch': defaultImportBatchBlocks,
    // --- networking: discovery, presets, libp2p WebSockets, metrics (wt/nodenet)
    mainnet: false,
    sepolia: false,
    holesky: false,
    hoodi: false,
    metrics: false,
    'metrics.addr': defaultMetricsHost,
    'metrics.port': defaultMetricsPort,
    syncmode: 'full',
    ws: false,
    'ws.addr': defaultWsHost,
    'ws.port': defaultWsPort,
    lightkdf: false,
    'allow-insecure-unlock': false,
    'history.logs.disable': false,
  }
}

/** `--rpc.txfeecap` (decimal ether, as go-ethereum) → wei. */
export function etherToWei(v: string): bigint {
  const m = /^(\d+)(?:\.(\d{0,18}))?$/.exec(v.trim())
  if (!m) throw new UsageError(`invalid value "${v}" for -rpc.txfeecap: a decimal ether amount`)
  const frac = (m[2] ?? '').padEnd(18, '0')
  return BigInt(m[1] as string) * 10n ** 18n + BigInt(frac || '0')
}

const ETH_VERSIONS = new Set([62, 63, 66, 67, 68, 69])

function parseIntFlag(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new UsageError(`invalid value "${value}" for flag -${name}: not a number`)
  const n = Number(value)
  if (!Number.isSafeInteger(n))
    throw new UsageError(`invalid value "${value}" for flag -${name}: too large`)
  return n
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = defaultFlags() as unknown as Record<string, unknown>
  const positional: string[] = []
  const given = new Set<string>()
  let command: Command | undefined
  let onlyPositional = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (onlyPositional || !arg.startsWith('-') || arg === '-') {
      if (
        command === undefined &&
        positional.length === 0 &&
        (COMMANDS as readonly string[]).includes(arg)
      )
        command = arg as Command
      else positional.push(arg)
      continue
    }
    if (arg === '--') {
      onlyPositional = true
      continue
    }
    const body = arg.replace(/^--?/, '')
    const eq = body.indexOf('=')
    const name = eq === -1 ? body : body.slice(0, eq)
    if (name === 'help' || name === 'h') {
      command = 'help'
      continue
    }
    if (name === 'version') {
      command = 'version'
      continue
    }
    const kind = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined
    if (!kind) throw new UsageError(`flag provided but not defined: -${name}`)
    given.add(name)
    let value: string | undefined = eq === -1 ? undefined : body.slice(eq + 1)
    if (kind === 'bool') {
      if (value === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false'))
        value = argv[++i]
      if (value === undefined || value === 'true' || value === '1') flags[name] = true
      else if (value === 'false' || value === '0') flags[name] = false
      else throw new UsageError(`invalid boolean value "${value}" for -${name}`)
      continue
    }
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined) throw new UsageError(`flag needs an argument: -${name}`)
    }
    switch (kind) {
      case 'string':
        flags[name] = value
        break
      case 'int':
        flags[name] = parseIntFlag(name, value)
        break
      case 'bigint':
        if (!/^\d+$/.test(value))
          throw new UsageError(`invalid value "${value}" for flag -${name}: not a number`)
        flags[name] = BigInt(value)
        break
      case 'list':
        flags[name] = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        break
      case 'intlist': {
        const list = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => parseIntFlag(name, s))
        if (list.length === 0) throw new UsageError(`flag -${name} needs at least one value`)
        flags[name] = list
        break
      }
    }
  }
  const f = flags as unknown as NodeFlags
  for (const v of f.eth)
    if (!ETH_VERSIONS.has(v))
      throw new UsageError(`unsupported eth version ${v} (supported: 62,63,66,67,68,69)`)
  if (f.verbosity > 5) throw new UsageError('invalid value for -verbosity: 0..5')
  if (f['import.batch'] < 1)
    throw new UsageError('invalid value for -import.batch: at least 1 block')
  const etherbase = f['miner.etherbase']
  if (etherbase !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(etherbase))
    throw new UsageError(`invalid value "${etherbase}" for -miner.etherbase: a 0x address`)
  const extra = f['miner.extradata']
  if (extra !== undefined && extraDataBytes(extra).length > maxExtraDataBytes)
    throw new UsageError(`invalid value for -miner.extradata: at most ${maxExtraDataBytes} bytes`)
  if (f['rpc.txfeecap'] !== undefined) etherToWei(f['rpc.txfeecap'])
  // --- networking: discovery, presets, libp2p WebSockets, metrics (wt/nodenet)
  const presets = NETWORK_FLAGS.filter((n) => f[n])
  if (presets.length > 1)
    throw new UsageError(`flags -${presets.join(', -')} can't be used at the same time`)
  if (presets.length && f.dev) throw new UsageError(`-${presets[0]} and -dev can't be combined`)
  for (const p of ['discovery.port', 'ws.libp2p', 'metrics.port'] as const) {
    const v = f[p]
    if (v !== undefined && v > 65535) throw new UsageError(`invalid value for -${p}: not a port`)
  }
  for (const p of ['port', 'rlpx.port', 'http.port', 'ws.port'] as const) {
    const v = f[p]
    if (v !== undefined && v > 65535)
      throw new UsageError(`invalid value for -${p}: not a TCP port`)
  }
  if (
    f.nat !== undefined &&
    f.nat !== 'none' &&
    f.nat !== 'any' &&
    !/^extip:[0-9a-fA-F.:]+$/.test(f.nat)
  )
    throw new UsageError(`invalid value "${f.nat}" for -nat: extip:<ip>, none or any`)
  if (f.syncmode !== 'fast' && f.syncmode !== 'full')
    throw new UsageError(`invalid value "${f.syncmode}" for -syncmode: fast or full`)
  if (f.dev && !given.has('http')) f.http = true
  return { command, positional, flags: f, given }
}

/** The network preset flags (@ethwire/chain's `networks`). */
export const NETWORK_FLAGS = ['mainnet', 'sepolia', 'holesky', 'hoodi'] as const

/** `--miner.extradata`: 0x hex as bytes, anything else as UTF-8 text (go-ethereum takes text). */
export function extraDataBytes(v: string): Uint8Array {
  if (/^0x([0-9a-fA-F]{2})*$/.test(v)) return hexToBytes(v)
  return new TextEncoder().encode(v)
}

const accountFlagsGiven = (f: NodeFlags): boolean =>
  f.keystore !== undefined ||
  f.lightkdf ||
  f.unlock !== undefined ||
  f.password !== undefined ||
  f['allow-insecure-unlock'] ||
  f['rpc.txfeecap'] !== undefined

/** The `createNode` config the CLI builds from its flags (run mode). */
export function nodeConfigFromFlags(flags: NodeFlags): NodeConfig {
  return {
    datadir: flags.datadir,
    networkId: flags.networkid,
    listenHost: flags.addr,
    externalIp: flags.nat?.startsWith('extip:') ? flags.nat.slice('extip:'.length) : undefined,
    port: flags.port,
    rlpxPort: flags['rlpx.port'],
    http: flags.http
      ? {
          host: flags['http.addr'],
          port: flags['http.port'],
          api: flags['http.api'],
          corsDomains: flags['http.corsdomain'],
          vhosts: flags['http.vhosts'],
        }
      : undefined,
    ws: flags.ws
      ? {
          host: flags['ws.addr'],
          port: flags['ws.port'],
          api: flags['ws.api'],
          ...(flags['ws.origins'] ? { origins: flags['ws.origins'] } : {}),
        }
      : undefined,
    accounts: accountFlagsGiven(flags)
      ? {
          keystore: flags.keystore,
          lightKdf: flags.lightkdf,
          unlock: flags.unlock,
          passwordFile: flags.password,
          allowInsecureUnlock: flags['allow-insecure-unlock'],
          txFeeCapWei:
            flags['rpc.txfeecap'] === undefined ? undefined : etherToWei(flags['rpc.txfeecap']),
        }
      : undefined,
    bootnodes: flags.bootnodes,
    maxPeers: flags.maxpeers,
    // --- networking: discovery, presets, libp2p WebSockets, metrics (wt/nodenet)
    ...(flags.nodiscover
      ? { discovery: false }
      : flags.discovery !== undefined
        ? { discovery: flags.discovery }
        : {}),
    ...(flags['discovery.port'] !== undefined ? { discoveryPort: flags['discovery.port'] } : {}),
    ...(flags['discovery.dns'] !== undefined ? { dnsTrees: flags['discovery.dns'] } : {}),
    ...(NETWORK_FLAGS.find((n) => flags[n])
      ? { network: NETWORK_FLAGS.find((n) => flags[n]) }
      : {}),
    ...(flags['ws.libp2p'] !== undefined ? { wsLibp2pPort: flags['ws.libp2p'] } : {}),
    ...(flags.metrics
      ? { metrics: { host: flags['metrics.addr'], port: flags['metrics.port'] } }
      : {}),
    dev: flags.dev ? { periodSeconds: flags['dev.period'] } : undefined,
    // ethash seals are never verified: the mainnet and sepolia presets need fake PoW (chain README)
    fakePow: flags.fakepow || !!flags.mainnet || !!flags.sepolia,
    syncIntervalMs: flags.syncinterval,
    minSyncPeers: flags.minsyncpeers,
    ethVersions: flags.eth.length ? flags.eth : undefined,
    txAnnounce: flags.txannounce,
    // left out when full (the default), so configs of other flags compare as before
    syncMode: flags.syncmode === 'fast' ? 'fast' : undefined,
    verbosity: flags.verbosity,
    // left out unless given, so configs of other flags compare as before
    ...(flags['history.logs.disable'] ? { logsIndex: false } : {}),
    miner: {
      etherbase: flags['miner.etherbase'] ? hexToBytes(flags['miner.etherbase']) : undefined,
      gasLimit: flags['miner.gaslimit'],
      extraData: flags['miner.extradata'] ? extraDataBytes(flags['miner.extradata']) : undefined,
    },
    txPool: {
      globalSlots: flags['txpool.globalslots'],
      accountSlots: flags['txpool.accountslots'],
      globalQueue: flags['txpool.globalqueue'],
      accountQueue: flags['txpool.accountqueue'],
    },
  }
}

export const USAGE = `ethwire — an Ethereum eth-protocol node

Usage:
  ethwire [flags]                        run a node
  ethwire --dev                          run a single-node dev chain (mines, JSON-RPC on)
  ethwire init <genesis.json>            write a genesis into the data directory
  ethwire import <chain.rlp>             import blocks from an RLP file (resumable)
  ethwire export <file> [first] [last]   export canonical blocks to an RLP file
  ethwire dumpgenesis                    print the genesis of the data directory
  ethwire devchain <n>                   seal n empty dev blocks into a --dev data directory, fast
  ethwire account new|list               create a key file (password from --password) / list the keystore
  ethwire account import <keyfile>       import a hex private key file (password from --password)
  ethwire version | help

Flags:
  --datadir <dir>        data directory (default .ethwire)
  --networkid <n>        network id (default: the genesis chain id)
  --addr <ip>            listen address of both transports (default 127.0.0.1)
  --port <n>             libp2p TCP port (default 30313; 0 = any free port)
  --rlpx.port <n>        RLPx TCP port (RLPx listening is off unless given; 0 = any free port)
  --nat extip:<ip>       the address to put in our enode URL (no NAT traversal is done)
  --http                 enable the JSON-RPC HTTP server
  --http.addr <host>     JSON-RPC listen address (default 127.0.0.1)
  --http.port <n>        JSON-RPC port (default 8545; 0 = any free port)
  --http.api <list>      namespaces served over HTTP, e.g. eth,net,web3 (default: all)
  --http.corsdomain <l>  origins allowed to read responses in a browser; * for any (default: none)
  --http.vhosts <list>   accepted Host header names; * for any (default: localhost; IPs always pass)
  --ws                   enable the WebSocket JSON-RPC server (eth_subscribe)
  --ws.addr <host>       WebSocket listen address (default 127.0.0.1)
  --ws.port <n>          WebSocket port (default 8546; 0 = any free port)
  --ws.api <list>        namespaces served over WebSocket (default: all)
  --ws.origins <list>    browser origins allowed to connect over WebSocket; * for any
                         (default: http://localhost and http://<hostname>)
  --keystore <dir>       keystore folder (default <datadir>/keystore)
  --lightkdf             light scrypt parameters for new key files (fast, weaker)
  --password <file>      passwords, one per line, for --unlock and account new|import
  --unlock <list>        comma-separated addresses or indices to unlock at start
  --allow-insecure-unlock  allow unlocking accounts while HTTP/WS JSON-RPC is on
  --rpc.txfeecap <eth>   fee cap of transactions sent over RPC, in ether (default 1; 0 = no cap)
  --bootnodes <list>     comma-separated libp2p multiaddrs and/or enode:// URLs to dial (redialed);
                         enode:// URLs and enr: records are discv4 bootnodes too
  --maxpeers <n>         maximum number of peers over both transports (default 50)
  --discovery <bool>     discv4 discovery and dialing from it (default: on when RLPx listens)
  --nodiscover           no discovery: dial only --bootnodes and admin_addPeer peers
  --discovery.port <n>   discv4 UDP port (default: the RLPx port)
  --discovery.dns <list> comma-separated EIP-1459 node lists (enrtree://<key>@<domain>) to dial from
  --mainnet, --sepolia, --holesky, --hoodi
                         a built-in network: genesis (header only), network id, bootnodes, DNS list
  --ws.libp2p <n>        also listen for libp2p over WebSockets on this port (/ip4/<addr>/tcp/<n>/ws)
  --metrics              serve Prometheus metrics
  --metrics.addr <host>  metrics listen address (default 127.0.0.1)
  --metrics.port <n>     metrics port (default 6060; 0 = any free port)
  --dev                  dev mode: clique dev genesis and signer key in the datadir, mining, JSON-RPC on
  --dev.period <s>       seconds between dev blocks; 0 = a block whenever transactions arrive (default 2)
  --miner.etherbase <a>  fee recipient of mined blocks on engines that pay the coinbase (clique pays the signer)
  --miner.gaslimit <n>   block gas limit the miner moves toward (default 30000000)
  --miner.extradata <s>  extra-data of mined blocks, 0x hex or text, at most 32 bytes
  --fakepow              accept proof-of-work (ethash) seals unchecked
  --syncinterval <ms>    forced sync interval (default 10000)
  --minsyncpeers <n>     peers needed before a new peer triggers a sync (default 5)
  --eth <list>           allowed eth versions, e.g. 68 or 66,67,68 (default: 62-68, and 69 on a merged chain)
  --syncmode <mode>      fast (blocks + receipts + the state at head-64 from eth/63-66 peers, then full) or full (default)
  --txannounce <bool>    eth/66+: full txs to sqrt(peers), hashes to the rest (default true)
  --txpool.globalslots <n>   executable transaction slots guaranteed over all accounts (default ${defaultGlobalSlots})
  --txpool.accountslots <n>  executable transaction slots guaranteed per account (default ${defaultAccountSlots})
  --txpool.globalqueue <n>   non-executable transaction slots over all accounts (default ${defaultGlobalQueue})
  --txpool.accountqueue <n>  non-executable transaction slots per account (default ${defaultAccountQueue})
  --import.batch <n>     import: blocks per database write (default 256)
  --history.logs.disable  keep no log index: eth_getLogs and log filters scan every header's bloom
  --verbosity <0-5>      0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace (default 3)
`
