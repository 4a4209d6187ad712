/**
 * The one concurrent-fetch loop (go-ethereum's `concurrentFetch` over a `typedQueue`): every
 * round, for every kind, it offers work to each idle peer, fastest first, in a request sized by
 * that peer's measured throughput; it times the request, and turns the answer into a verdict the
 * same way for every kind (throughput, consecutive timeouts and empty answers, drops). What is
 * particular to a kind — what to ask for, how to send it, what makes an answer valid — lives in
 * a small {@link FetchQueue} adapter: header gap fill, bodies, receipts, state.
 */
import type { PeerEntry, PeerRunState, RunContext } from '../context.js'
import type { DownloaderErrorCode } from '../errors.js'
import type { FetchKind } from '../qos.js'

/** What an answer amounted to. */
export type Verdict =
  /** Useful items: throughput measured, timeouts and empty answers reset; `after` runs then. */
  | { kind: 'accepted'; items: number; after?: () => void }
  /** Nothing: the peer lacks it; counted, at `maxEmptyResponses` it is not asked for this kind again. */
  | { kind: 'empty' }
  /** Misbehaviour: the peer is dropped. */
  | { kind: 'drop'; code: DownloaderErrorCode; message: string; cause?: unknown }
  /** The work it answered is gone (e.g. a discarded skeleton): nothing to judge. */
  | { kind: 'stale' }

/** One data kind as the fetch loop drives it. */
export interface FetchQueue<Task, Res> {
  readonly kind: FetchKind
  /** Most items one request may carry. */
  readonly maxItems: number
  /** Requests of this kind one peer may have in flight at once (default 1). */
  readonly maxInflightPerPeer?: number
  /** Whether this peer can serve the kind at all (e.g. `GetNodeData` only on eth/63–66). */
  accepts?(e: PeerEntry): boolean
  /** Take up to `capacity` items of work for this peer, or undefined when there is none for it. */
  reserve(e: PeerEntry, st: PeerRunState, capacity: number): Task | undefined
  /** Items in a task (the timeout rules look at it). */
  items(task: Task): number
  send(e: PeerEntry, task: Task, signal: AbortSignal): Promise<Res>
  /** The request expired, failed or was aborted: put the work back. */
  unreserve(task: Task): void
  /** Judge an answer and take what is good from it (the work not delivered goes back). */
  deliver(e: PeerEntry, st: PeerRunState, task: Task, res: Res): Verdict | Promise<Verdict>
}

// biome-ignore lint/suspicious/noExplicitAny: queues of different task types in one list
type AnyQueue = FetchQueue<any, any>

export class FetchLoop {
  /** Requests in flight (including answers being delivered). */
  inflight = 0
  private readonly queues: AnyQueue[] = []

  constructor(private readonly ctx: RunContext) {}

  /** Add a kind; kinds are offered in the order they were added. */
  add(queue: AnyQueue): void {
    this.queues.push(queue)
  }

  has(kind: FetchKind): boolean {
    return this.queues.some((q) => q.kind === kind)
  }

  /** Offer work to every idle peer; returns whether any request went out. */
  assign(): boolean {
    let assigned = false
    for (const q of this.queues) {
      for (const e of this.ctx.usablePeers(q.kind)) assigned = this.assignTo(q, e) || assigned
    }
    return assigned
  }

  private assignTo(q: AnyQueue, e: PeerEntry): boolean {
    const { ctx } = this
    const id = e.peer.id
    const st = ctx.state(id)
    if (st.busy.has(q.kind) || ctx.kindExcluded(q.kind).has(id)) return false
    if (q.accepts !== undefined && !q.accepts(e)) return false
    const cap = e.stats.capacity(q.kind, ctx.host.tuner.targetRttMs(), q.maxItems)
    const task = q.reserve(e, st, cap)
    if (task === undefined) return false
    st.inflight[q.kind]++
    if (st.inflight[q.kind] >= (q.maxInflightPerPeer ?? 1)) st.busy.add(q.kind)
    this.inflight++
    ctx.track(this.fetch(q, e, st, task))
    return true
  }

  private async fetch(q: AnyQueue, e: PeerEntry, st: PeerRunState, task: unknown): Promise<void> {
    const { ctx } = this
    const id = e.peer.id
    try {
      const out = await ctx.request(e, (s) => q.send(e, task, s))
      switch (out.kind) {
        case 'aborted':
          q.unreserve(task)
          return
        case 'timeout':
          q.unreserve(task)
          ctx.onTimeout(id, q.kind, q.items(task))
          break
        case 'failed':
          q.unreserve(task)
          ctx.exclude(id, out.error)
          break
        case 'ok':
          this.judge(q.kind, e, st, await q.deliver(e, st, task, out.value), out.elapsedMs)
          break
      }
    } finally {
      st.inflight[q.kind]--
      st.busy.delete(q.kind)
      this.inflight--
    }
    ctx.pump()
  }

  private judge(
    kind: FetchKind,
    e: PeerEntry,
    st: PeerRunState,
    v: Verdict,
    elapsedMs: number,
  ): void {
    const { ctx } = this
    const id = e.peer.id
    switch (v.kind) {
      case 'accepted':
        st.timeouts = 0
        st.empty[kind] = 0
        ctx.onDelivered(e, kind, v.items, elapsedMs)
        ctx.timeline.fetchedOne(kind, v.items, elapsedMs)
        v.after?.()
        return
      case 'empty':
        st.empty[kind]++
        e.stats.update(kind, 0, elapsedMs, ctx.opts.measurementImpact)
        if (st.empty[kind] >= ctx.opts.maxEmptyResponses) ctx.kindExcluded(kind).add(id)
        return
      case 'drop':
        ctx.drop(id, v.code, v.message, v.cause)
        return
      case 'stale':
        return
    }
  }
}
