/**
 * A small typed event emitter: `on` returns the function that unsubscribes. A throwing listener
 * does not stop the others; its error goes to `onListenerError`.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(value: never) => void>>()
  constructor(readonly onListenerError: (err: unknown, event: keyof Events) => void) {}

  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as (value: never) => void)
    return () => {
      this.#listeners.get(event)?.delete(listener as (value: never) => void)
    }
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) return
    for (const l of [...set]) {
      try {
        ;(l as (v: Events[K]) => void)(value)
      } catch (err) {
        this.onListenerError(err, event)
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }
}
