/**
 * libp2p and its modules are ESM-only. They are loaded with dynamic `import()` (kept as is in the
 * CJS build) so that `require('@ethwire/transport-libp2p')` works too; loaded once, on first use.
 * The libp2p transports (TCP, WebSockets) load only when a transport uses them.
 */
export interface Libp2pModules {
  readonly libp2p: typeof import('libp2p')
  readonly noise: typeof import('@chainsafe/libp2p-noise')
  readonly yamux: typeof import('@chainsafe/libp2p-yamux')
  readonly identify: typeof import('@libp2p/identify')
  readonly ping: typeof import('@libp2p/ping')
  readonly multiaddr: typeof import('@multiformats/multiaddr')
}

let modules: Promise<Libp2pModules> | undefined

export function loadLibp2pModules(): Promise<Libp2pModules> {
  modules ??= Promise.all([
    import('libp2p'),
    import('@chainsafe/libp2p-noise'),
    import('@chainsafe/libp2p-yamux'),
    import('@libp2p/identify'),
    import('@libp2p/ping'),
    import('@multiformats/multiaddr'),
  ]).then(([libp2p, noise, yamux, identify, ping, multiaddr]) => ({
    libp2p,
    noise,
    yamux,
    identify,
    ping,
    multiaddr,
  }))
  return modules
}

export function loadTcp(): Promise<typeof import('@libp2p/tcp')> {
  return import('@libp2p/tcp')
}

/**
 * `@libp2p/websockets`. Its dialer opens `new WebSocket(url)` on the global constructor, which
 * browsers and Node 22 have and Node 20 does not: there the `ws` package's WebSocket (what the
 * listener side of `@libp2p/websockets` uses already) is installed as `globalThis.WebSocket`,
 * once, only when no global one exists.
 */
export async function loadWebSockets(): Promise<typeof import('@libp2p/websockets')> {
  const g = globalThis as { WebSocket?: unknown }
  if (typeof g.WebSocket !== 'function') {
    const { WebSocket } = await import('ws')
    if (typeof g.WebSocket !== 'function' && typeof WebSocket === 'function') {
      Object.defineProperty(globalThis, 'WebSocket', {
        configurable: true,
        writable: true,
        enumerable: false,
        value: WebSocket,
      })
    }
  }
  return import('@libp2p/websockets')
}

export function loadCryptoKeys(): Promise<typeof import('@libp2p/crypto/keys')> {
  return import('@libp2p/crypto/keys')
}
