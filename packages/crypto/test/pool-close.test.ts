import { describe, expect, it, vi } from 'vitest'

// Records how each recovery worker ends: exit code 0 when it left by itself, 1 when terminated.
const exitCodes: number[] = []
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>()
  class RecordingWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args)
      this.on('exit', (code) => exitCodes.push(code))
    }
  }
  return { ...real, Worker: RecordingWorker }
})

const { createRecoveryPool, isCryptoError } = await import('../src/index.js')
const { testSignature } = await import('../src/testing.js')

describe('RecoveryPool.close', () => {
  it('lets busy workers finish their chunk and exit by themselves instead of terminating them', async () => {
    const items = Array.from({ length: 4_000 }, (_, i) => {
      const s = testSignature(i % 50)
      return { hash: s.hash, r: s.r, s: s.s, recovery: s.recovery }
    })
    for (let round = 0; round < 3; round++) {
      exitCodes.length = 0
      const pool = createRecoveryPool({ workers: 2 })
      const ready = await pool.recoverAddresses(items.slice(0, 10)) // workers up
      expect(ready.every((a) => a !== null)).toBe(true)
      const busy = pool.recoverAddresses(items) // 16 chunks queued over two workers
      const failure = busy.then(
        () => undefined,
        (e: unknown) => e,
      )
      await pool.close()
      const err = await failure
      // the batch was cut short by close (or, on a fast machine, had just finished)
      if (err !== undefined) expect(isCryptoError(err, 'ErrPoolClosed')).toBe(true)
      expect(exitCodes).toEqual([0, 0])
      await expect(pool.recoverAddresses(items.slice(0, 1))).rejects.toThrow(/closed/)
    }
  }, 60_000)
})
