/**
 * Ordered-trie roots on a worker thread: the transaction and receipt roots of the bodies and
 * receipts a sync downloads, hashed off the main thread (which decodes, stores and serves). The
 * worker runs `@ethwire/rlp-wire`'s own trie builder (`trieRootFunctions`, rebuilt from its source
 * text) over `@ethwire/keccak`'s WebAssembly module, so both threads compute roots with the same code.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { keccakWasmBytes, wasmReservedBytes } from '@ethwire/keccak'
import { trieRootFunctions } from '@ethwire/rlp-wire'
import { rootPoolCloseGraceMs } from './constants.js'
import { NodeError } from './errors.js'

/** Ordered-trie roots (keys rlp(0), rlp(1), …) computed on worker threads. */
export interface RootPool {
  /**
   * The root of each list of encoded items (transactions or receipts in their consensus
   * encoding), in order. Rejects with `ErrRootPoolClosed` after {@link close} or if the worker
   * dies; a caller then hashes inline.
   */
  orderedTrieRoots(lists: readonly (readonly Uint8Array[])[]): Promise<Uint8Array[]>
  /** Stops the worker; pending calls reject. */
  close(): Promise<void>
}

// Inline CommonJS (`eval: true`), so it runs the same from the TypeScript sources and from dist:
// the trie builder comes as source text, keccak is the WebAssembly module driven directly (one
// 64 KiB page: inputs up to `wasmMax` bytes), @noble/hashes for longer nodes.
const workerSource = (builder: string): string => `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  const noble = (await import(workerData.sha3Url)).keccak_256
  const ex = new WebAssembly.Instance(new WebAssembly.Module(workerData.keccakWasm), {}).exports
  const mem = new Uint8Array(ex.memory.buffer)
  const out = workerData.keccakFree
  const inp = out + 32
  const wasmMax = mem.length - inp
  const keccak = (b) => {
    if (b.length > wasmMax) return noble(b)
    mem.set(b, inp)
    ex.hash(inp, b.length, out)
    return mem.slice(out, out + 32)
  }
  const probe = keccak(new Uint8Array(0))
  if (probe[0] !== 0xc5 || probe[31] !== 0x70) throw new Error('keccak module self-test failed')
  // esbuild with keepNames (tsx, some bundles) wraps the builder's inner functions in __name()
  const __name = (f) => f
  const { orderedTrieRoot } = (${builder})(keccak)
  parentPort.on('message', ({ id, bytes, lens, counts, close }) => {
    if (close) return parentPort.close()
    const roots = new Uint8Array(counts.length * 32)
    let item = 0
    let at = 0
    for (let l = 0; l < counts.length; l++) {
      const values = new Array(counts[l])
      for (let i = 0; i < values.length; i++, item++) {
        values[i] = bytes.subarray(at, at + lens[item])
        at += lens[item]
      }
      roots.set(orderedTrieRoot(values), l * 32)
    }
    parentPort.postMessage({ id, roots }, [roots.buffer])
  })
  parentPort.postMessage({ ready: true })
})().catch((err) => parentPort.postMessage({ fatal: String((err && err.stack) || err) }))
`

interface Job {
  resolve(roots: Uint8Array): void
  reject(err: unknown): void
}

/** Options of {@link createRootPool}. */
export interface RootPoolOptions {
  /** Called once if the worker fails or exits before `close` (say, to log that hashing went inline). */
  onFailure?: (err: NodeError) => void
}

/**
 * Starts one worker thread that computes ordered-trie roots. It does not keep the process alive
 * while idle; {@link RootPool.close} stops it.
 */
export function createRootPool(options: RootPoolOptions = {}): RootPool {
  const req = createRequire(import.meta.url)
  const worker = new Worker(workerSource(String(trieRootFunctions)), {
    eval: true,
    workerData: {
      sha3Url: pathToFileURL(req.resolve('@noble/hashes/sha3.js')).href,
      keccakWasm: keccakWasmBytes(),
      keccakFree: wasmReservedBytes,
    },
  })
  worker.unref()
  const jobs = new Map<number, Job>()
  let nextId = 0
  let failure: NodeError | undefined
  let exited = false
  let closing: Promise<void> | undefined
  const fail = (err: NodeError): void => {
    if (failure === undefined && closing === undefined) options.onFailure?.(err)
    failure ??= err
    for (const job of jobs.values()) job.reject(failure)
    jobs.clear()
  }
  worker.on('message', (msg: { id?: number; roots?: Uint8Array; fatal?: string }) => {
    if (msg.fatal !== undefined) {
      fail(new NodeError('ErrRootPoolClosed', `root worker failed: ${msg.fatal}`))
      void worker.terminate()
      return
    }
    if (msg.id === undefined || msg.roots === undefined) return
    const job = jobs.get(msg.id)
    if (job === undefined) return
    jobs.delete(msg.id)
    if (jobs.size === 0) worker.unref()
    job.resolve(msg.roots)
  })
  worker.on('error', (err) =>
    fail(new NodeError('ErrRootPoolClosed', 'root worker died', { cause: err })),
  )
  worker.on('exit', () => {
    exited = true
    fail(new NodeError('ErrRootPoolClosed', 'root worker exited'))
  })

  return {
    async orderedTrieRoots(lists) {
      if (failure !== undefined) throw failure
      // one buffer of every item and the lengths, handed over without a copy
      let total = 0
      let items = 0
      for (const l of lists) {
        items += l.length
        for (const v of l) total += v.length
      }
      const bytes = new Uint8Array(total)
      const lens = new Uint32Array(items)
      const counts = new Uint32Array(lists.length)
      let at = 0
      let item = 0
      for (let i = 0; i < lists.length; i++) {
        const l = lists[i]!
        counts[i] = l.length
        for (const v of l) {
          bytes.set(v, at)
          at += v.length
          lens[item++] = v.length
        }
      }
      const id = nextId++
      const roots = await new Promise<Uint8Array>((resolve, reject) => {
        jobs.set(id, { resolve, reject })
        worker.ref()
        worker.postMessage({ id, bytes, lens, counts }, [bytes.buffer, lens.buffer, counts.buffer])
      })
      const out: Uint8Array[] = new Array(lists.length)
      for (let i = 0; i < lists.length; i++) out[i] = roots.subarray(i * 32, i * 32 + 32)
      return out
    },
    close() {
      if (exited) return Promise.resolve()
      closing ??= (async () => {
        fail(new NodeError('ErrRootPoolClosed', 'root pool is closed'))
        const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
        worker.postMessage({ close: true })
        const timer = setTimeout(() => void worker.terminate(), rootPoolCloseGraceMs)
        await gone
        clearTimeout(timer)
      })()
      return closing
    },
  }
}
