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
import type { AddressInfo } from 'node:net'
import type { Clock } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { type WebSocket, WebSocketServer } from 'ws'
import { wsCloseGraceMs, wsMaxMessageBytes, wsMaxSendQueueBytes } from '../constants.js'
import { handleBody, type RpcMethods, stringifyResponse } from './dispatch.js'
import type { SubscriptionHub } from './subscriptions.js'

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
