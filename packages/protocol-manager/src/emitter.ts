import type { Logger } from './types.js'

/** A small typed event emitter; a throwing listener is logged and does not stop the others. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(value: never) => void>>()

  constructor(private readonly log: Logger) {}

  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    const l = listener as (value: never) => void
    set.add(l)
    return () => {
      set.delete(l)
    }
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const l of [...set]) {
      try {
        ;(l as (v: Events[K]) => void)(value)
      } catch (err) {
        this.log.warn('event listener failed', { event: String(event), error: String(err) })
      }
    }
  }
}
