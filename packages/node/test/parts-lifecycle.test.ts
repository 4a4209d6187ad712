/** createLifecycle: start in order, stop in reverse, rollback when a part fails to start. */
import { describe, expect, it } from 'vitest'
import { createLifecycle, type Part } from '../src/lifecycle.js'
import { silentLogger } from '../src/log.js'

function recorder() {
  const events: string[] = []
  const part = (name: string, opts: { failStart?: boolean; failStop?: boolean } = {}): Part => ({
    name,
    start: async () => {
      events.push(`start ${name}`)
      if (opts.failStart) throw new Error(`${name} cannot start`)
    },
    stop: async () => {
      events.push(`stop ${name}`)
      if (opts.failStop) throw new Error(`${name} cannot stop`)
    },
  })
  return { events, part }
}

describe('lifecycle', () => {
  it('starts in order and stops in reverse, once', async () => {
    const { events, part } = recorder()
    const l = createLifecycle([part('a'), part('b'), part('c')], silentLogger)
    await l.start()
    expect(l.started).toEqual(['a', 'b', 'c'])
    await l.stop()
    await l.stop()
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
    expect(l.started).toEqual([])
  })

  it('a part failing to start: the started ones (and it) are stopped in reverse, the error is thrown', async () => {
    const { events, part } = recorder()
    const l = createLifecycle(
      [part('a'), part('b'), part('c', { failStart: true }), part('d')],
      silentLogger,
    )
    await expect(l.start()).rejects.toThrow('c cannot start')
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
    // d never started; a later stop() does nothing more
    await l.stop()
    expect(events).toHaveLength(6)
  })

  it('a failing stop is logged and the others are still stopped', async () => {
    const { events, part } = recorder()
    const warned: string[] = []
    const l = createLifecycle([part('a'), part('b', { failStop: true }), part('c')], {
      ...silentLogger,
      warn: (m) => warned.push(m),
    })
    await l.start()
    await l.stop()
    expect(events.slice(3)).toEqual(['stop c', 'stop b', 'stop a'])
    expect(warned).toEqual(['Stopping b failed'])
  })

  it('stop() during start() waits for the part being started, then stops what started', async () => {
    const events: string[] = []
    let release: () => void = () => {}
    const slow: Part = {
      name: 'slow',
      start: () =>
        new Promise<void>((r) => {
          events.push('start slow')
          release = r
        }),
      stop: async () => {
        events.push('stop slow')
      },
    }
    const never: Part = {
      name: 'never',
      start: async () => {
        events.push('start never')
      },
      stop: async () => {
        events.push('stop never')
      },
    }
    const l = createLifecycle([slow, never], silentLogger)
    const started = l.start()
    const stopped = l.stop()
    release()
    await started
    await stopped
    expect(events).toEqual(['start slow', 'stop slow'])
  })
})
