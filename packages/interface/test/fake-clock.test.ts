import { describe, expect, it } from 'vitest'
import { FakeClock, fakeClock, flush, seededRandom } from '../src/testing.js'

describe('FakeClock', () => {
  it('starts at 0 or the given time and moves only when told', () => {
    expect(new FakeClock().now()).toBe(0)
    expect(new FakeClock(1_000).now()).toBe(1_000)
    expect(fakeClock({ startMs: 5 }).now()).toBe(5)
    const c = new FakeClock()
    c.tick(250)
    expect(c.now()).toBe(250)
  })

  it('tick fires due timers synchronously in (due time, creation) order', () => {
    const c = new FakeClock()
    const seen: string[] = []
    c.setTimeout(() => seen.push('b@20'), 20)
    c.setTimeout(() => seen.push('a@10'), 10)
    c.setTimeout(() => seen.push('c@20'), 20)
    c.setTimeout(() => seen.push('late'), 31)
    c.tick(30)
    expect(seen).toEqual(['a@10', 'b@20', 'c@20'])
    expect(c.now()).toBe(30)
    expect(c.pending).toBe(1)
    c.tick(1)
    expect(seen.at(-1)).toBe('late')
    expect(c.pending).toBe(0)
  })

  it('a timer sees now() at its own due time, and one it arms within the window fires too', () => {
    const c = new FakeClock()
    const at: number[] = []
    c.setTimeout(() => {
      at.push(c.now())
      c.setTimeout(() => at.push(c.now()), 5)
    }, 10)
    c.tick(20)
    expect(at).toEqual([10, 15])
  })

  it('clearTimeout removes a timer; a negative delay counts as 0; unknown handles are ignored', () => {
    const c = new FakeClock()
    let fired = 0
    const h = c.setTimeout(() => fired++, 10)
    c.setTimeout(() => fired++, -5)
    c.clearTimeout(h)
    c.clearTimeout('nope')
    expect(c.pending).toBe(1)
    c.tick(0)
    expect(fired).toBe(1)
    c.tick(100)
    expect(fired).toBe(1)
  })

  it('nextDue and fireNext step timer by timer', () => {
    const c = new FakeClock()
    expect(c.nextDue()).toBeUndefined()
    expect(c.fireNext()).toBe(false)
    let n = 0
    c.setTimeout(() => n++, 40)
    c.setTimeout(() => n++, 7)
    expect(c.nextDue()).toBe(7)
    expect(c.fireNext()).toBe(true)
    expect(c.now()).toBe(7)
    expect(c.nextDue()).toBe(40)
    expect(c.fireNext()).toBe(true)
    expect(n).toBe(2)
    expect(c.now()).toBe(40)
  })

  it('advance lets promise chains a timer starts arm the next timer within the window', async () => {
    const c = new FakeClock()
    const at: number[] = []
    const wait = (ms: number) => new Promise<void>((r) => c.setTimeout(r, ms))
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await wait(10)
        at.push(c.now())
      }
    })()
    await c.advance(25)
    expect(at).toEqual([10, 20])
    // the third wait was armed at 20, due at 30
    await c.advance(5)
    expect(at).toEqual([10, 20, 30])
    await loop
    expect(c.pending).toBe(0)
  })

  it('tick does not let promise callbacks run between timers', async () => {
    const c = new FakeClock()
    const at: number[] = []
    void (async () => {
      await new Promise<void>((r) => c.setTimeout(r, 10))
      at.push(c.now())
      await new Promise<void>((r) => c.setTimeout(r, 10))
      at.push(c.now())
    })()
    c.tick(30)
    await flush()
    expect(at).toEqual([30])
  })

  it('run drives timers until the promise settles, and reports a deadlock', async () => {
    const c = new FakeClock()
    const wait = (ms: number) => new Promise<void>((r) => c.setTimeout(r, ms))
    const result = await c.run(
      (async () => {
        await wait(1_000)
        await wait(60_000)
        return c.now()
      })(),
    )
    expect(result).toBe(61_000)
    await expect(c.run(new Promise(() => {}))).rejects.toThrow(/no timer left/)
    await expect(
      c.run(
        (async () => {
          await wait(10_000)
          throw new Error('boom')
        })(),
      ),
    ).rejects.toThrow('boom')
    await expect(c.run(wait(120_000), { maxVirtualMs: 60_000 })).rejects.toThrow(/60000 virtual ms/)
  })
})

describe('seededRandom', () => {
  it('is deterministic per seed, in [0, 1)', () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const c = seededRandom(43)
    const xs = Array.from({ length: 100 }, () => a())
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs)
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(xs)
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true)
  })
})
