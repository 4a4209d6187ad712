/** Options of {@link TypedEmitter}. */
export interface EmitterOptions<Events extends object> {
  /**
   * Where a throwing listener's error goes (say, a logger). Without it the error is rethrown
   * asynchronously (in a microtask), so it surfaces as an uncaught exception instead of being lost.
   */
  readonly onListenerError?: (err: unknown, event: keyof Events) => void
}

/**
 * A small typed event emitter: `on` returns the function that unsubscribes. Listeners run
 * synchronously in subscription order; a throwing listener does not stop the others and never
 * reaches the code that emitted: its error goes to `onListenerError` when given, otherwise it is
 * rethrown asynchronously.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(value: never) => void>>()
  readonly #onListenerError: ((err: unknown, event: keyof Events) => void) | undefined

  constructor(options: EmitterOptions<Events> = {}) {
    this.#onListenerError = options.onListenerError
  }

  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as (value: never) => void)
    return () => this.off(event, listener)
  }

  off<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (value: never) => void)
  }

  /** Calls every listener of `event` with `value`. */
  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        ;(listener as (v: Events[K]) => void)(value)
      } catch (err) {
        const report = this.#onListenerError
        if (report !== undefined) report(err, event)
        else
          queueMicrotask(() => {
            throw err
          })
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }
}
