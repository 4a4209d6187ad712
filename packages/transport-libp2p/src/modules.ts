/**
 * libp2p and its modules are ESM-only. They are loaded with dynamic `import()` (kept as is in the
 * CJS build) so that `require('@ethwire/transport-libp2p')` works too; loaded once, on first use.
 */
export interface Libp2pModules {
  readonly libp2p: typeof import('libp2p')
  readonly tcp: typeof import('@libp2p/tcp')
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
    import('@libp2p/tcp'),
    import('@chainsafe/libp2p-noise'),
    import('@chainsafe/libp2p-yamux'),
    import('@libp2p/identify'),
    import('@libp2p/ping'),
    import('@multiformats/multiaddr'),
  ]).then(([libp2p, tcp, noise, yamux, identify, ping, multiaddr]) => ({
    libp2p,
    tcp,
    noise,
    yamux,
    identify,
    ping,
    multiaddr,
  }))
  return modules
}

export function loadCryptoKeys(): Promise<typeof import('@libp2p/crypto/keys')> {
  return import('@libp2p/crypto/keys')
}
