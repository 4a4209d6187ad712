/**
 * The one side-effect module of this package: libp2p 3 (and yamux, @libp2p/utils) call
 * `Promise.withResolvers`, which Node 20 does not have (it arrived in Node 22). Imported first by
 * `index.ts`; listed in package.json `sideEffects` so bundlers keep it.
 */
interface WithResolversResult<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const P = Promise as unknown as { withResolvers?: <T>() => WithResolversResult<T> }

if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): WithResolversResult<T> {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new this<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}

export {}
