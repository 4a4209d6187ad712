/**
 * The per-host inbound connection limit, applied in the connection gater (libp2p's own per-host
 * limiter cannot exempt loopback without also exempting it from every other limit).
 */
import { maxTrackedInboundHosts } from './constants.js'

/** The IP of a `/ip4/<ip>/…` or `/ip6/<ip>/…` multiaddr string, or undefined. */
export function hostOfMultiaddr(address: string): string | undefined {
  const m = /^\/(ip4|ip6)\/([^/]+)/.exec(address)
  return m?.[2]
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback (`::ffff:127.x.y.z`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  return (
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  )
}

export interface InboundRateLimiter {
  /** True when a new inbound connection from `host` is allowed now (and counts it). */
  admit(host: string): boolean
  /** Hosts tracked now (bounded). */
  readonly trackedHosts: number
}

/**
 * At most `perSecond` admissions per host in each one-second window (by `now()`); loopback hosts
 * are always admitted unless `limitLoopback`. At most {@link maxTrackedInboundHosts} hosts are
 * tracked: stale windows are dropped first, and while the table is full of hosts seen within the
 * last second a new host is refused (the pending-upgrade limit bounds the rest).
 */
export function createInboundRateLimiter(options: {
  perSecond: number
  limitLoopback: boolean
  now: () => number
  maxHosts?: number
}): InboundRateLimiter {
  const { perSecond, limitLoopback, now } = options
  const maxHosts = options.maxHosts ?? maxTrackedInboundHosts
  const windows = new Map<string, { start: number; count: number }>()
  return {
    get trackedHosts() {
      return windows.size
    },
    admit(host) {
      if (!limitLoopback && isLoopbackHost(host)) return true
      const t = now()
      let w = windows.get(host)
      if (w !== undefined && t - w.start >= 1_000) {
        w.start = t
        w.count = 0
      }
      if (w === undefined) {
        if (windows.size >= maxHosts)
          for (const [h, x] of windows) if (t - x.start >= 1_000) windows.delete(h)
        if (windows.size >= maxHosts) return false
        w = { start: t, count: 0 }
        windows.set(host, w)
      }
      if (w.count >= perSecond) return false
      w.count++
      return true
    },
  }
}
