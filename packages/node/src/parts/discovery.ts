/**
 * The discovery part: discv4 (UDP, on the RLPx node key) with its table persisted in the datadir,
 * EIP-1459 DNS lists, and the dialer (`../dialer.ts`) that keeps the dynamic peer slots filled
 * from both. Our record carries the `eth` fork id of our head (`setForkId` on every new head:
 * re-signed only at a fork), and only nodes whose `eth` entry passes our EIP-2124 filter
 * (`createForkFilter` of @ethwire/handshake) are handed to the dialer. Started after the
 * transports (it needs the RLPx port and node key) and the protocol manager (peer events).
 *
 * With discovery off (`--nodiscover`, or RLPx not listening) the part still tells how each peer
 * was found: `static` (dialed by us: bootnodes, admin_addPeer) or `inbound`.
 */
import { join } from 'node:path'
import { createDiscv4, createDnsClient, type Discv4, ethNodeFilter } from '@ethwire/discv4'
import {
  computeForkId,
  createForkFilter,
  type ForkConfig,
  forksFromGethConfig,
} from '@ethwire/handshake'
import type { Clock, Logger } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { discoveryDirName } from '../constants.js'
import {
  candidateFromEnode,
  createDialer,
  type Dialer,
  type DialerOptions,
  type DialSource,
  discoverySource,
  type HowFound,
} from '../dialer.js'
import { NodeError } from '../errors.js'
import type { Part } from '../lifecycle.js'
import type { ChainPart } from './chain.js'
import type { ProtocolPart } from './protocol.js'
import type { TransportsPart } from './transports.js'

export interface DiscoveryPartOptions {
  datadir: string
  /** Run discv4 (needs RLPx listening). DNS lists are read only with it too. */
  enabled: boolean
  /** UDP listen host (default the RLPx listen host). */
  host?: string
  /** UDP port; default the RLPx port. */
  port?: number
  /** discv4 bootnodes: `enode://` URLs or `enr:` records. */
  bootnodes?: readonly string[]
  /** EIP-1459 trees (`enrtree://<key>@<domain>`). */
  dnsTrees?: readonly string[]
  maxPeers: number
  /** maxPeers / dialRatio peers are dialed (default 3, go-ethereum's). */
  dialRatio?: number
  /** Timing knobs passed to discv4 (tests). */
  refreshIntervalMs?: number
  revalidationIntervalMs?: number
  /** How soon the random walk may hand the dialer a node again (discv4's default 30 s). */
  repeatAfterMs?: number
  /** Timing knobs passed to the dialer (tests). */
  dialer?: Pick<DialerOptions, 'historyExpirationMs' | 'recheckIntervalMs' | 'dialTimeoutMs'>
}

export interface DiscoveryPart extends Part {
  /** The discv4 service (undefined when discovery is off or not started). */
  readonly discv4: Discv4 | undefined
  readonly dialer: Dialer | undefined
  /** How a connected peer was found: `static`, `discv4`, `dns` or `inbound`. */
  howFound(peer: { id: string; inbound?: boolean }): HowFound
  /** Our `enr:` record (discovery on). */
  readonly enr: string | undefined
  /** The bound UDP port (discovery on). */
  readonly udpPort: number | undefined
}

/** The discv4 bootnodes among `--bootnodes` (enode URLs and ENRs; multiaddrs are libp2p's). */
export function discv4Bootnodes(list: readonly string[]): string[] {
  return list.filter((b) => b.startsWith('enode://') || b.startsWith('enr:'))
}

export function createDiscoveryPart(
  deps: {
    chain: ChainPart
    protocol: ProtocolPart
    transports: TransportsPart
    log: Pick<Logger, 'info' | 'warn' | 'debug' | 'error' | 'trace'>
    clock?: Clock
  },
  options: DiscoveryPartOptions,
): DiscoveryPart {
  const { log } = deps
  const clock = deps.clock ?? systemClock
  let disc: Discv4 | undefined
  let dialer: Dialer | undefined
  const cleanups: Array<() => void> = []
  /** Connected peers (protocol manager ids) → resolvers of dials waiting for their handshake. */
  const connected = new Set<string>()
  const waiting = new Map<string, Set<() => void>>()

  const start = async () => {
    const pm = deps.protocol.pm
    cleanups.push(
      pm.on('peer:added', (info) => {
        connected.add(info.id)
        for (const w of waiting.get(info.id) ?? []) w()
        waiting.delete(info.id)
        dialer?.peerAdded(info.id, {
          direction: info.inbound ? 'inbound' : 'outbound',
          ...(!info.inbound && deps.transports.isStatic(info.id) ? { howFound: 'static' } : {}),
        })
      }),
      pm.on('peer:removed', (info) => {
        connected.delete(info.id)
        dialer?.peerRemoved(info.id)
      }),
    )
    for (const p of pm.peerInfos()) connected.add(p.id)

    const tcpPort = deps.transports.rlpxListenPort
    const nodeKey = deps.transports.nodeKey
    if (!options.enabled) return
    if (tcpPort === undefined || nodeKey === undefined) {
      log.info('Discovery off: RLPx does not listen')
      return
    }
    const c = deps.chain.chain
    const forkConfig: ForkConfig = {
      genesisHash: c.genesis.hash,
      genesisTime: c.genesis.time,
      ...forksFromGethConfig(c.config as Record<string, unknown>),
    }
    const headOf = () => {
      const h = c.currentHeader()
      return { number: h.number, time: h.time }
    }
    const forkFilter = createForkFilter(forkConfig, headOf)
    const accept = (id: { hash: Uint8Array; next: bigint }) => forkFilter(id) === undefined
    const host = options.host ?? deps.transports.rlpx?.listenAddress?.host ?? '127.0.0.1'
    disc = createDiscv4(
      { logger: log, clock },
      {
        privateKey: nodeKey,
        listen: { host, port: options.port ?? tcpPort },
        tcpPort,
        bootnodes: options.bootnodes ?? [],
        dataDir: join(options.datadir, discoveryDirName),
        forkId: computeForkId(forkConfig, headOf()),
        forkFilter: accept,
        ...(options.refreshIntervalMs !== undefined
          ? { refreshIntervalMs: options.refreshIntervalMs }
          : {}),
        ...(options.revalidationIntervalMs !== undefined
          ? { revalidationIntervalMs: options.revalidationIntervalMs }
          : {}),
      },
    )
    await disc.start()
    const d = disc
    cleanups.push(
      d.on('localEnrChanged', (enr) => log.info('Node record changed', { seq: enr.seq })),
      c.on((e) => {
        if (e.type === 'head') d.setForkId(computeForkId(forkConfig, headOf()))
      }),
    )
    const sources: DialSource[] = [
      discoverySource(
        'discv4',
        d.randomNodes({
          includeDns: false,
          ...(options.repeatAfterMs !== undefined ? { repeatAfterMs: options.repeatAfterMs } : {}),
        }),
      ),
    ]
    if (options.dnsTrees?.length) {
      const dns = createDnsClient({ logger: log, clock })
      sources.push(
        discoverySource(
          'dns',
          dns.randomNodes(options.dnsTrees, { filter: ethNodeFilter(accept) }),
        ),
      )
    }
    dialer = createDialer(
      {
        dial: async (address, signal) => {
          const { id } = candidateFromEnode(address)
          const { done } = await deps.transports.dial(address, signal)
          if (connected.has(id)) return
          // connected over RLPx: wait for the eth handshake (the protocol manager registers it)
          await new Promise<void>((resolve, reject) => {
            const set = waiting.get(id) ?? new Set()
            waiting.set(id, set)
            const finish = (err?: Error) => {
              set.delete(ok)
              if (set.size === 0) waiting.delete(id)
              signal.removeEventListener('abort', onAbort)
              if (err) reject(err)
              else resolve()
            }
            const ok = () => finish()
            const onAbort = () => finish(new NodeError('ErrNotConnected', 'dial aborted'))
            set.add(ok)
            signal.addEventListener('abort', onAbort, { once: true })
            void done.then(() => {
              if (!connected.has(id))
                finish(new NodeError('ErrNotConnected', 'peer left before the eth handshake'))
            })
          })
        },
        peerCount: () => deps.protocol.pm.peerCount,
        isConnected: (id) => connected.has(id),
        clock,
        logger: log,
      },
      {
        maxPeers: options.maxPeers,
        ...(options.dialRatio !== undefined ? { dialRatio: options.dialRatio } : {}),
        selfId: deps.transports.rlpx?.nodeId,
        sources,
        ...options.dialer,
      },
    )
    for (const p of pm.peerInfos())
      dialer.peerAdded(p.id, { direction: p.inbound ? 'inbound' : 'outbound' })
    await dialer.start()
    log.info('Started discovery', {
      enr: d.localEnr.toText(),
      udp: d.address.port,
      bootnodes: options.bootnodes?.length ?? 0,
      dns: options.dnsTrees?.length ?? 0,
    })
  }

  const stop = async () => {
    for (const off of cleanups.splice(0)) off()
    for (const set of waiting.values()) for (const w of set) w()
    waiting.clear()
    const step = async (what: string, f: () => Promise<unknown> | undefined) => {
      try {
        await f()
      } catch (err) {
        log.warn(`Stopping ${what} failed`, { err })
      }
    }
    await step('dialer', () => dialer?.stop())
    await step('discv4', () => disc?.stop())
  }

  return {
    name: 'discovery',
    start,
    stop,
    get discv4() {
      return disc
    },
    get dialer() {
      return dialer
    },
    howFound: (peer) => {
      const tag = dialer?.howFound(peer.id)
      if (tag !== undefined) return tag
      if (peer.inbound) return 'inbound'
      return 'static'
    },
    get enr() {
      return disc?.localEnr.toText()
    },
    get udpPort() {
      return disc?.address.port
    },
  }
}
