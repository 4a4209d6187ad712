/**
 * The little runtime plumbing every ethwire package needs, in one place: the real clock behind
 * the `Clock` contract, the typed event emitter, and the brand checks typed-error guards use. A separate entry so the main entry of
 * `@ethwire/interface` stays types only (zero runtime); this one is a few dozen lines with no
 * dependencies, safe in browsers.
 *
 * @example
 * ```ts
 * import { systemClock, TypedEmitter } from '@ethwire/interface/runtime'
 *
 * const events = new TypedEmitter<{ tick: number }>({ onListenerError: (err) => console.error(err) })
 * events.on('tick', (n) => console.log('tick', n))
 * systemClock.setTimeout(() => events.emit('tick', systemClock.now()), 10)
 * ```
 */
export { type EmitterOptions, TypedEmitter } from './runtime/emitter.js'
export { errorCode, isCodedError } from './runtime/errors.js'
export {
  createSystemClock,
  type SystemClockOptions,
  systemClock,
} from './runtime/system-clock.js'
