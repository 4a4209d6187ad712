/**
 * A small typed event emitter: `on` returns the function that unsubscribes. A throwing listener
 * does not stop the others; its error goes to `onListenerError` when given (say, a logger),
 * otherwise it is rethrown asynchronously.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(value: never) => void>>()
  readonly #onListenerError: ((err: unknown, event: keyof Events) => void) | undefined

  constructor(options: { onListenerError?: (err: unknown, event: keyof Events) => void } = {}) {
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

  /** Calls every listener; a throwing listener does not stop the others. */
  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const l of [...set]) {
      try {
        ;(l as (v: Events[K]) => void)(value)
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
