/**
 * The JSON-RPC server over WebSocket (go-ethereum's `--ws`): every text or binary message is a
 * request or a batch for `handleBody` of `./dispatch.ts`; `eth_subscribe` / `eth_unsubscribe`
 * come from a {@link SubscriptionHub} and push `eth_subscription` notifications.
 *
 * Each connection has a bounded send queue: when the bytes waiting to go out (the socket's
 * `bufferedAmount`) would pass `maxSendQueueBytes` (an empty queue takes any one message), the
 * client is not reading; it is closed with
 * 1008 "send queue limit exceeded", nothing more is queued, and its socket is destroyed after
 * `closeGraceMs` if it does not take the close frame. Messages over `maxMessageBytes` close the
 * connection with 1009 (the `ws` library's limit).
 */
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname as osHostname } from 'node:os'
import type { Clock } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { type WebSocket, WebSocketServer } from 'ws'
import { wsCloseGraceMs, wsMaxMessageBytes, wsMaxSendQueueBytes } from '../constants.js'
import { handleBody, type RpcMethods, stringifyResponse } from './dispatch.js'
import type { SubscriptionHub } from './subscriptions.js'

type VerifyDone = (result: boolean, code?: number, message?: string) => void

/** The close code and reason of a client cut off for not reading. */
export const wsCutOffCode = 1008
export const wsCutOffReason = 'send queue limit exceeded'

export interface WsServerOptions {
  host: string
  port: number
  /** Largest incoming message (default 5 MiB). */
  maxMessageBytes?: number
  /** Bytes a connection may have waiting to be sent (default 16 MiB). */
  maxSendQueueBytes?: number
  closeGraceMs?: number
  /**
   * `--ws.origins`: the browser origins allowed to connect (go-ethereum's rules: `*` for any; a
   * rule is `scheme://host:port`, and a part it leaves out matches anything, so `localhost`
   * takes any scheme and port). A handshake without an Origin header (not a browser) is always
   * taken. Empty or undefined: `http://localhost` and `http://<hostname>` only.
   */
  allowedOrigins?: readonly string[]
  /** The machine's host name for the default origins (default `os.hostname()`). */
  hostname?: string
}

/** What a handshake from a refused origin gets (go-ethereum's status and words). */
export const wsOriginRefusedStatus = 403
export const wsOriginRefusedMessage = 'websocket: request origin not allowed'

/** Scheme, host name and port of an origin or of an origin rule (`host` alone, `host:port`). */
function originParts(origin: string): { scheme: string; host: string; port: string } | undefined {
  const o = origin.toLowerCase()
  if (o.includes('://')) {
    try {
      const u = new URL(o)
      const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
      // URL drops a scheme's default port; go-ethereum's url.Port() keeps what was written
      const written = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/]*)(?::(\d+))?/.exec(o)
      return { scheme: u.protocol.slice(0, -1), host, port: written?.[2] ?? '' }
    } catch {
      return undefined
    }
  }
  // no scheme: `host` or `host:port` (go-ethereum reads these as scheme:opaque)
  const i = o.indexOf(':')
  return i < 0
    ? { scheme: '', host: o, port: '' }
    : { scheme: '', host: o.slice(0, i), port: o.slice(i + 1) }
}

/** go-ethereum's `ruleAllowsOrigin`: every part the rule names must match. */
export function originAllowedBy(rule: string, origin: string): boolean {
  const r = originParts(rule)
  const b = originParts(origin)
  if (!r || !b) return false
  if (r.scheme !== '' && r.scheme !== b.scheme) return false
  if (r.host !== '' && r.host !== b.host) return false
  if (r.port !== '' && r.port !== b.port) return false
  return true
}

/**
 * go-ethereum's `wsHandshakeValidator`: whether a handshake with this Origin header (undefined:
 * none) is taken.
 */
export function wsOriginAllowed(
  origin: string | undefined,
  allowed: readonly string[] | undefined,
  hostname: string = osHostname(),
): boolean {
  if (origin === undefined) return true
  const rules = (allowed ?? []).filter((o) => o !== '')
  if (rules.includes('*')) return true
  if (rules.length === 0) rules.push('http://localhost', `http://${hostname}`)
  return rules.some((r) => originAllowedBy(r, origin))
}

export interface WsServerStats {
  connections: number
  /** Clients cut off for not reading. */
  cutOff: number
  /** The most bytes any connection had waiting to be sent when a message was queued. */
  maxQueuedBytes: number
  /** Live `eth_subscribe` subscriptions over all connections. */
  subscriptions: number
}

export interface WsRpcServer {
  readonly port: number
  readonly url: string
  stats(): WsServerStats
  /** Called when a client is cut off (tests, logs). */
  onCutOff(listener: (info: { queuedBytes: number }) => void): () => void
  close(): Promise<void>
}

export async function startWsServer(
  deps: { methods: RpcMethods; hub?: SubscriptionHub; clock?: Clock },
  opts: WsServerOptions,
): Promise<WsRpcServer> {
  const clock = deps.clock ?? systemClock
  const maxQueue = opts.maxSendQueueBytes ?? wsMaxSendQueueBytes
  const grace = opts.closeGraceMs ?? wsCloseGraceMs
  const wss = new WebSocketServer({
    host: opts.host,
    port: opts.port,
    maxPayload: opts.maxMessageBytes ?? wsMaxMessageBytes,
    perMessageDeflate: false,
    verifyClient: (info: { req: IncomingMessage }, done: VerifyDone) => {
      const origin = info.req.headers.origin
      if (wsOriginAllowed(origin, opts.allowedOrigins, opts.hostname)) done(true)
      else done(false, wsOriginRefusedStatus, wsOriginRefusedMessage)
    },
  })
  await new Promise<void>((resolve, reject) => {
    wss.once('error', reject)
    wss.once('listening', () => {
      wss.off('error', reject)
      resolve()
    })
  })
  const stats: Omit<WsServerStats, 'subscriptions'> = {
    connections: 0,
    cutOff: 0,
    maxQueuedBytes: 0,
  }
  const sessions = new Set<{ readonly size: number }>()
  const cutOffListeners = new Set<(info: { queuedBytes: number }) => void>()
  const timers = new Set<unknown>()

  wss.on('connection', (socket: WebSocket) => {
    stats.connections++
    let cut = false
    const cutOff = (queuedBytes: number) => {
      cut = true
      stats.cutOff++
      for (const l of cutOffListeners) l({ queuedBytes })
      socket.close(wsCutOffCode, wsCutOffReason)
      const t = clock.setTimeout(() => {
        timers.delete(t)
        socket.terminate()
      }, grace)
      timers.add(t)
      socket.once('close', () => {
        clock.clearTimeout(t)
        timers.delete(t)
      })
    }
    const send = (text: string) => {
      if (cut || socket.readyState !== socket.OPEN) return
      const queued = socket.bufferedAmount
      // an empty queue takes any one message (a big answer to a reading client is fine); the
      // bound is the limit plus one message
      if (queued > 0 && queued + Buffer.byteLength(text) > maxQueue) return cutOff(queued)
      if (queued > stats.maxQueuedBytes) stats.maxQueuedBytes = queued
      socket.send(text)
    }
    const session = deps.hub?.open((subscription, result) =>
      send(
        stringifyResponse({
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription, result },
        }),
      ),
    )
    if (session) sessions.add(session)
    const methods = session ? { ...deps.methods, ...session.methods } : deps.methods
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      if (cut) return
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8')
      void handleBody(methods, text).then((resp) => send(stringifyResponse(resp)))
    })
    socket.on('error', () => {
      // a broken connection ends in 'close'
    })
    socket.on('close', () => {
      stats.connections--
      if (session) sessions.delete(session)
      session?.close()
    })
  })

  const port = (wss.address() as AddressInfo).port
  return {
    port,
    url: `ws://${opts.host}:${port}`,
    stats: () => {
      let subscriptions = 0
      for (const s of sessions) subscriptions += s.size
      return { ...stats, subscriptions }
    },
    onCutOff(listener) {
      cutOffListeners.add(listener)
      return () => cutOffListeners.delete(listener)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clock.clearTimeout(t)
        timers.clear()
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}
