/**
 * The one place that starts and stops a node's parts: in order on `start()`, in reverse on
 * `stop()`. When a part fails to start, the parts already started are stopped (in reverse) and
 * the error is rethrown, so a failed start leaves nothing open. A part whose `stop()` fails is
 * logged and the others are still stopped.
 */
import type { Logger, Startable } from '@ethwire/interface'

/** A named `Startable`: the unit the lifecycle starts and stops. */
export interface Part extends Startable {
  /** For logs ("Stopping <name> failed"). */
  readonly name: string
}

export interface Lifecycle extends Startable {
  /** Names of the parts started and not yet stopped, in start order. */
  readonly started: readonly string[]
}

/**
 * `parts` in start order. `start()` may run once; `stop()` is idempotent and also stops what a
 * start still in progress has started (it waits for that part's `start()` to settle first).
 */
export function createLifecycle(
  parts: readonly Part[],
  log: Pick<Logger, 'warn' | 'debug'>,
): Lifecycle {
  const up: Part[] = []
  let starting: Promise<void> | undefined
  let stopping: Promise<void> | undefined

  const stopStarted = async () => {
    for (const part of up.splice(0).reverse()) {
      try {
        await part.stop()
        log.debug('Stopped part', { part: part.name })
      } catch (err) {
        log.warn(`Stopping ${part.name} failed`, { err })
      }
    }
  }

  const start = (): Promise<void> => {
    if (starting) return starting
    starting = (async () => {
      for (const part of parts) {
        if (stopping) return
        try {
          await part.start()
        } catch (err) {
          // the failing part may have opened things before it threw: it is stopped too
          up.push(part)
          await stopStarted()
          throw err
        }
        up.push(part)
        log.debug('Started part', { part: part.name })
      }
    })()
    return starting
  }

  const stop = (): Promise<void> => {
    if (stopping) return stopping
    stopping = (async () => {
      await starting?.catch(() => {})
      await stopStarted()
    })()
    return stopping
  }

  return {
    start,
    stop,
    get started() {
      return up.map((p) => p.name)
    },
  }
}
