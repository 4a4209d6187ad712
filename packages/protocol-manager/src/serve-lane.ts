/**
 * The serving queue of one peer: its requests are served one at a time and in order, off its read
 * loop, so the peer's answers to our requests and its announcements are still read while its
 * requests wait for their flood limit (reth serves requests apart from the session too). Bounded:
 * `push` resolves once the work is queued and waits while `maxQueued` are waiting, so a peer that
 * asks faster than it is served is read no faster (its connection takes the back-pressure).
 */

/** One request's serving; `signal` aborts when the lane closes. */
export type ServeWork = (signal: AbortSignal) => Promise<void>

export interface ServeLaneOptions {
  /** Work items waiting (not counting the one running) before `push` waits. At least 1. */
  readonly maxQueued: number
  /** A work item threw (not after `close`). */
  readonly onError: (err: unknown) => void
  /** Closes the lane when it aborts (the manager stops). */
  readonly signal?: AbortSignal
}

export interface ServeLane {
  /** Queues `work` after what is queued; resolves once queued (waits while the lane is full). */
  push(work: ServeWork): Promise<void>
  /** Aborts the running work, drops what waits and releases waiting pushes. Idempotent. */
  close(): void
  /** Work items waiting (not counting the one running). */
  readonly queued: number
  readonly closed: boolean
  /** Resolves once nothing runs (after `close`: once the running work has ended). */
  idle(): Promise<void>
}

export function createServeLane(options: ServeLaneOptions): ServeLane {
  const maxQueued = Math.max(1, Math.floor(options.maxQueued))
  const ac = new AbortController()
  const queue: ServeWork[] = []
  const roomWaiters: (() => void)[] = []
  const idleWaiters: (() => void)[] = []
  let running = false

  const close = (): void => {
    if (ac.signal.aborted) return
    ac.abort(new Error('serving stopped'))
    options.signal?.removeEventListener('abort', close)
    queue.length = 0
    for (const w of roomWaiters.splice(0)) w()
  }
  if (options.signal?.aborted) close()
  else options.signal?.addEventListener('abort', close, { once: true })

  const pump = async (): Promise<void> => {
    running = true
    while (queue.length > 0 && !ac.signal.aborted) {
      const work = queue.shift()!
      roomWaiters.shift()?.()
      try {
        await work(ac.signal)
      } catch (err) {
        if (!ac.signal.aborted) options.onError(err)
      }
    }
    running = false
    for (const w of idleWaiters.splice(0)) w()
  }

  return {
    push(work) {
      if (ac.signal.aborted) return Promise.resolve()
      queue.push(work)
      if (!running) void pump()
      if (queue.length < maxQueued) return Promise.resolve()
      return new Promise<void>((resolve) => roomWaiters.push(resolve))
    },
    close,
    get queued() {
      return queue.length
    },
    get closed() {
      return ac.signal.aborted
    },
    idle() {
      if (!running) return Promise.resolve()
      return new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
  }
}
