import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { keccakWasmBytes, wasmReservedBytes } from '@ethwire/keccak'
import { defaultPoolWorkers, poolChunkItems, poolCloseGraceMs } from './constants.js'
import { CryptoError } from './errors.js'
import { isValidSignatureValues, loadNativeRecoverer, writeUint256 } from './recover.js'

/** One signature to recover an address from. */
export interface RecoveryRequest {
  hash: Uint8Array
  r: bigint
  s: bigint
  recovery: number
}

export interface RecoveryPoolOptions {
  /** Worker threads (default 1). */
  workers?: number
  /** 'auto' (default): native where the addon loads, else noble. */
  backend?: 'auto' | 'native' | 'noble'
  /** Reject s > n/2 (EIP-2): such items come back as null. Default false. */
  homestead?: boolean
}

/** Address recovery spread over worker threads. */
export interface RecoveryPool {
  readonly workers: number
  readonly backend: 'native' | 'noble'
  /**
   * The signers' 20-byte addresses in batch order; `null` for an item whose signature is invalid
   * or recovers no key. Rejects with `ErrPoolClosed` after {@link close} or if a worker dies,
   * and with the signal's reason when aborted.
   */
  recoverAddresses(
    batch: readonly RecoveryRequest[],
    opts?: { signal?: AbortSignal },
  ): Promise<Array<Uint8Array | null>>
  /** Terminates the workers; pending calls reject with `ErrPoolClosed`. */
  close(): Promise<void>
}

/** Bytes per item sent to a worker: hash, r, s, recovery. */
const itemBytes = 97
/** Bytes per item received: ok flag then the address. */
const resultBytes = 21

// The worker is inline code (CommonJS, `eval: true`) so it runs the same from the TypeScript
// sources, from dist (ESM or CJS) and after bundling; the module paths it needs are resolved here.
// Its keccak is @ethwire/keccak's WebAssembly module, driven directly (hash(p, len, out) above the
// module's reserved bytes), with @noble/hashes if that module does not load in the worker.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  const { secp256k1 } = await import(workerData.curvesUrl)
  let keccak_256
  try {
    const ex = new WebAssembly.Instance(new WebAssembly.Module(workerData.keccakWasm), {}).exports
    const mem = new Uint8Array(ex.memory.buffer)
    const out = workerData.keccakFree
    const inp = out + 32
    keccak_256 = (b) => {
      mem.set(b, inp)
      ex.hash(inp, b.length, out)
      return mem.slice(out, out + 32)
    }
    const probe = keccak_256(new Uint8Array(0))
    if (probe[0] !== 0xc5 || probe[31] !== 0x70) throw new Error('keccak module self-test failed')
  } catch {
    keccak_256 = (await import(workerData.sha3Url)).keccak_256
  }
  const native = workerData.nativePath ? require(workerData.nativePath) : null
  const big = (b, o) => {
    let x = 0n
    for (let i = o; i < o + 32; i += 8) {
      x = (x << 64n) | (BigInt(b[i] * 0x1000000 + (b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]) >>> 0) << 32n)
        | BigInt((b[i + 4] * 0x1000000 + (b[i + 5] << 16 | b[i + 6] << 8 | b[i + 7])) >>> 0)
    }
    return x
  }
  parentPort.on('message', ({ id, buf, n, close }) => {
    // close: leave after the chunks already queued, by ourselves (no terminate in a native call)
    if (close) return parentPort.close()
    const out = new Uint8Array(n * ${resultBytes})
    for (let i = 0; i < n; i++) {
      const o = i * ${itemBytes}
      const hash = buf.subarray(o, o + 32)
      const v = buf[o + 96]
      try {
        const pub = native
          ? native.ecdsaRecover(buf.subarray(o + 32, o + 96), v, hash, false)
          : new secp256k1.Signature(big(buf, o + 32), big(buf, o + 64), v).recoverPublicKey(hash).toBytes(false)
        out[i * ${resultBytes}] = 1
        out.set(keccak_256(pub.subarray(1)).subarray(12), i * ${resultBytes} + 1)
      } catch {}
    }
    parentPort.postMessage({ id, out }, [out.buffer])
  })
  parentPort.postMessage({ ready: true })
})().catch((err) => parentPort.postMessage({ fatal: String(err && err.stack || err) }))
`

interface Job {
  resolve(out: Uint8Array): void
  reject(err: unknown): void
  items: number
}

interface Slot {
  worker: Worker
  jobs: Map<number, Job>
  inflightItems: number
  dead: boolean
  exited: boolean
}

/**
 * Starts `workers` threads that recover addresses. Each call's batch is cut into chunks spread
 * over the least-loaded workers. Idle workers do not keep the process alive; call
 * {@link RecoveryPool.close} when done.
 */
export function createRecoveryPool(options: RecoveryPoolOptions = {}): RecoveryPool {
  const count = Math.max(1, Math.floor(options.workers ?? defaultPoolWorkers))
  const want = options.backend ?? 'auto'
  const req = createRequire(import.meta.url)
  let nativePath: string | null = null
  if (want !== 'noble') {
    if (loadNativeRecoverer() !== null) nativePath = req.resolve('secp256k1/bindings')
    else if (want === 'native') {
      throw new CryptoError('ErrRecoveryFailed', 'the native secp256k1 addon does not load here')
    }
  }
  const workerData = {
    curvesUrl: pathToFileURL(req.resolve('@noble/curves/secp256k1.js')).href,
    sha3Url: pathToFileURL(req.resolve('@noble/hashes/sha3.js')).href,
    keccakWasm: keccakWasmBytes(),
    keccakFree: wasmReservedBytes,
    nativePath,
  }
  const homestead = options.homestead === true
  let closed = false
  let nextId = 0
  const slots: Slot[] = []

  const failSlot = (slot: Slot, err: unknown): void => {
    if (slot.dead) return
    slot.dead = true
    for (const job of slot.jobs.values()) job.reject(err)
    slot.jobs.clear()
    slot.inflightItems = 0
  }

  for (let i = 0; i < count; i++) {
    const worker = new Worker(workerSource, { eval: true, workerData })
    worker.unref()
    const slot: Slot = {
      worker,
      jobs: new Map(),
      inflightItems: 0,
      dead: false,
      exited: false,
    }
    worker.on('message', (msg: { id?: number; out?: Uint8Array; fatal?: string }) => {
      if (msg.fatal !== undefined) {
        failSlot(slot, new CryptoError('ErrPoolClosed', `recovery worker failed: ${msg.fatal}`))
        void worker.terminate()
        return
      }
      if (msg.id === undefined || msg.out === undefined) return
      const job = slot.jobs.get(msg.id)
      if (job === undefined) return
      slot.jobs.delete(msg.id)
      slot.inflightItems -= job.items
      if (slot.jobs.size === 0) worker.unref()
      job.resolve(msg.out)
    })
    worker.on('error', (err) =>
      failSlot(slot, new CryptoError('ErrPoolClosed', 'recovery worker died', { cause: err })),
    )
    worker.on('exit', () => {
      slot.exited = true
      failSlot(slot, new CryptoError('ErrPoolClosed', 'recovery worker exited'))
    })
    slots.push(slot)
  }

  const run = (items: readonly RecoveryRequest[], idx: number[]): Promise<Uint8Array> => {
    let slot: Slot | undefined
    for (const s of slots) {
      if (!s.dead && (slot === undefined || s.inflightItems < slot.inflightItems)) slot = s
    }
    if (slot === undefined)
      return Promise.reject(new CryptoError('ErrPoolClosed', 'no live recovery worker'))
    const n = idx.length
    const buf = new Uint8Array(n * itemBytes)
    for (let i = 0; i < n; i++) {
      const it = items[idx[i] as number] as RecoveryRequest
      const o = i * itemBytes
      buf.set(it.hash, o)
      writeUint256(buf, o + 32, it.r)
      writeUint256(buf, o + 64, it.s)
      buf[o + 96] = it.recovery
    }
    const id = nextId++
    const target = slot
    return new Promise<Uint8Array>((resolve, reject) => {
      target.jobs.set(id, { resolve, reject, items: n })
      target.inflightItems += n
      target.worker.ref()
      target.worker.postMessage({ id, buf, n }, [buf.buffer])
    })
  }

  return {
    workers: count,
    backend: nativePath === null ? 'noble' : 'native',
    async recoverAddresses(batch, opts = {}) {
      if (closed) throw new CryptoError('ErrPoolClosed', 'recovery pool is closed')
      opts.signal?.throwIfAborted()
      const result: Array<Uint8Array | null> = new Array(batch.length).fill(null)
      // Inputs that are invalid on their face never reach a worker.
      const valid: number[] = []
      for (let i = 0; i < batch.length; i++) {
        const it = batch[i] as RecoveryRequest
        if (
          it.hash instanceof Uint8Array &&
          it.hash.length === 32 &&
          Number.isInteger(it.recovery) &&
          it.recovery >= 0 &&
          it.recovery <= 3 &&
          isValidSignatureValues(it.r, it.s, homestead)
        ) {
          valid.push(i)
        }
      }
      if (valid.length === 0) return result
      const live = slots.filter((s) => !s.dead).length || 1
      const chunk = Math.max(1, Math.min(poolChunkItems, Math.ceil(valid.length / live)))
      const parts: Array<{ idx: number[]; p: Promise<Uint8Array> }> = []
      for (let i = 0; i < valid.length; i += chunk) {
        const idx = valid.slice(i, i + chunk)
        parts.push({ idx, p: run(batch, idx) })
      }
      const all = Promise.all(parts.map((x) => x.p))
      let outs: Uint8Array[]
      if (opts.signal === undefined) outs = await all
      else {
        const signal = opts.signal
        let onAbort: (() => void) | undefined
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason)
          signal.addEventListener('abort', onAbort, { once: true })
        })
        try {
          outs = await Promise.race([all, aborted])
        } finally {
          if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
        }
        all.catch(() => {})
      }
      for (let k = 0; k < parts.length; k++) {
        const { idx } = parts[k] as { idx: number[] }
        const out = outs[k] as Uint8Array
        for (let j = 0; j < idx.length; j++) {
          if (out[j * resultBytes] === 1) {
            result[idx[j] as number] = out.slice(j * resultBytes + 1, (j + 1) * resultBytes)
          }
        }
      }
      return result
    },
    async close() {
      if (closed) return
      closed = true
      const err = new CryptoError('ErrPoolClosed', 'recovery pool is closed')
      await Promise.all(
        slots.map(async (s) => {
          failSlot(s, err)
          if (s.exited) return
          // Ask the worker to leave once its queued chunks are done; terminate it only if it
          // does not within the grace period.
          const exited = new Promise<void>((resolve) => s.worker.once('exit', () => resolve()))
          s.worker.postMessage({ close: true })
          const timer = setTimeout(() => void s.worker.terminate(), poolCloseGraceMs)
          await exited
          clearTimeout(timer)
        }),
      )
    },
  }
}
