/**
 * Where a sync run's wall time goes: the first time each phase was reached (ms since the run
 * started, on the downloader's clock), and what the busy parts added up to (time inside
 * `insertReceiptChain`, `insertChain`, the commit, the state scheduler's `deliver`; requests and
 * items per kind). Logged once at the end of a run (`sync timeline`, info) and returned in the
 * result, so a bench can print it.
 */
import type { FetchKind } from './qos.js'

/** Phases of a run, in the order they are normally reached. */
export type SyncPhase =
  /** The master's head header is known. */
  | 'head'
  /** The common ancestor is known; fetching starts. */
  | 'ancestor'
  /** The fast sync's state download started (on the head's root). */
  | 'stateStart'
  /** The state download moved to the pivot's root. */
  | 'statePivotRoot'
  /** Every header up to the target height is scheduled. */
  | 'headers'
  /** The first blocks were stored (fast) or imported (full). */
  | 'firstImport'
  /** Every block below the pivot is stored with its receipts. */
  | 'belowPivotStored'
  /** The pivot is next to import and waits for its state. */
  | 'pivotWait'
  /** The pivot's state is complete. */
  | 'stateDone'
  /** The pivot block is committed as the head. */
  | 'committed'
  /** The run is complete. */
  | 'done'

export interface KindTotals {
  /** Answers accepted. */
  requests: number
  /** Items in them (headers, bodies, receipt lists, state nodes). */
  items: number
  /** Sum of their round trips. */
  ms: number
}

export interface SyncTimeline {
  /** Ms since the run started at which each phase was first reached. */
  readonly at: Partial<Record<SyncPhase, number>>
  /** Ms spent in `insertReceiptChain`, `insertChain`, `commitFastSyncHead`, state `deliver`. */
  readonly busy: { store: number; execute: number; commit: number; stateDeliver: number }
  /** Blocks stored without execution and blocks executed. */
  readonly blocks: { stored: number; executed: number }
  /** Bytes of the state nodes and code delivered (accepted by the scheduler or not). */
  readonly stateBytes: number
  readonly fetched: Record<FetchKind, KindTotals>
  /** Ms the whole run took. */
  total: number
}

export class Timeline implements SyncTimeline {
  readonly at: Partial<Record<SyncPhase, number>> = {}
  readonly busy = { store: 0, execute: 0, commit: 0, stateDeliver: 0 }
  readonly blocks = { stored: 0, executed: 0 }
  stateBytes = 0
  readonly fetched: Record<FetchKind, KindTotals> = {
    headers: { requests: 0, items: 0, ms: 0 },
    bodies: { requests: 0, items: 0, ms: 0 },
    receipts: { requests: 0, items: 0, ms: 0 },
    state: { requests: 0, items: 0, ms: 0 },
  }
  total = 0
  private readonly t0: number

  constructor(private readonly now: () => number) {
    this.t0 = now()
  }

  /** Ms since the run started. */
  elapsed(): number {
    return this.now() - this.t0
  }

  /** Record `phase` the first time it is reached. */
  mark(phase: SyncPhase): void {
    if (this.at[phase] === undefined) this.at[phase] = this.elapsed()
  }

  fetchedOne(kind: FetchKind, items: number, ms: number): void {
    const t = this.fetched[kind]
    t.requests++
    t.items += items
    t.ms += ms
  }

  /** A copy for the result and the log line. */
  snapshot(): SyncTimeline {
    this.total = this.elapsed()
    return {
      at: { ...this.at },
      busy: { ...this.busy },
      blocks: { ...this.blocks },
      stateBytes: this.stateBytes,
      fetched: {
        headers: { ...this.fetched.headers },
        bodies: { ...this.fetched.bodies },
        receipts: { ...this.fetched.receipts },
        state: { ...this.fetched.state },
      },
      total: this.total,
    }
  }
}

/** The timeline as flat log fields (ms rounded): `at.head=…`, `busy.store=…`, `state.items=…`. */
export function timelineFields(t: SyncTimeline): Record<string, number> {
  const out: Record<string, number> = { total: Math.round(t.total) }
  for (const [k, v] of Object.entries(t.at)) out[`at.${k}`] = Math.round(v)
  for (const [k, v] of Object.entries(t.busy)) out[`busy.${k}`] = Math.round(v)
  out['blocks.stored'] = t.blocks.stored
  out['blocks.executed'] = t.blocks.executed
  out.stateBytes = t.stateBytes
  for (const [k, v] of Object.entries(t.fetched)) {
    if (v.requests === 0) continue
    out[`${k}.requests`] = v.requests
    out[`${k}.items`] = v.items
    out[`${k}.ms`] = Math.round(v.ms)
  }
  return out
}
