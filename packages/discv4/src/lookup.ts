/**
 * The iterative Kademlia lookup (go-ethereum's `p2p/discover/lookup.go`): start from the 16
 * table nodes closest to the target, keep α = 3 FindNode queries in flight to the closest nodes
 * not asked yet, merge what they return into the 16 closest seen, and end when every one of the
 * 16 closest has been asked.
 */
import { bucketSize, lookupConcurrency } from './constants.js'
import { Discv4Error } from './errors.js'
import { type DiscoveredNode, NodesByDistance } from './node.js'

export interface LookupParams {
  /** 32-byte id searched for. */
  readonly target: Uint8Array
  /** Our own id (never asked). */
  readonly selfHex: string
  /** The starting nodes (the table's closest). */
  readonly seeds: readonly DiscoveredNode[]
  /** One FindNode: resolves with the nodes the peer returned (possibly none). */
  readonly query: (node: DiscoveredNode) => Promise<DiscoveredNode[]>
  /** Called with the nodes first seen in this lookup, as they arrive (seeds included). */
  readonly onFound?: (nodes: DiscoveredNode[]) => void
  readonly signal?: AbortSignal
  /** Queries in flight (α); default 3. */
  readonly concurrency?: number
}

/** Runs a lookup; resolves with the (up to 16) closest nodes found. Rejects only on abort. */
export function runLookup(p: LookupParams): Promise<DiscoveredNode[]> {
  const alpha = p.concurrency ?? lookupConcurrency
  const result = new NodesByDistance(p.target, bucketSize)
  const asked = new Set<string>([p.selfHex])
  const seen = new Set<string>([p.selfHex])
  let inFlight = 0

  const add = (nodes: readonly DiscoveredNode[]) => {
    const fresh: DiscoveredNode[] = []
    for (const n of nodes) {
      if (seen.has(n.idHex)) continue
      seen.add(n.idHex)
      result.push(n)
      fresh.push(n)
    }
    if (fresh.length > 0) p.onFound?.(fresh)
  }

  return new Promise((resolve, reject) => {
    let done = false
    const finish = (err?: unknown) => {
      if (done) return
      done = true
      p.signal?.removeEventListener('abort', onAbort)
      if (err !== undefined) reject(err)
      else resolve(result.entries.slice())
    }
    const onAbort = () => finish(p.signal?.reason ?? new Discv4Error('ErrClosed', 'lookup aborted'))
    if (p.signal?.aborted) {
      onAbort()
      return
    }
    p.signal?.addEventListener('abort', onAbort, { once: true })

    const step = () => {
      if (done) return
      for (let i = 0; i < result.entries.length && inFlight < alpha; i++) {
        const n = result.entries[i]!
        if (asked.has(n.idHex)) continue
        asked.add(n.idHex)
        inFlight++
        p.query(n).then(
          (nodes) => {
            inFlight--
            if (!done) add(nodes)
            step()
          },
          () => {
            inFlight--
            step()
          },
        )
      }
      if (inFlight === 0) finish()
    }
    add(p.seeds)
    step()
  })
}
