/** The default TXT resolver: node:dns (c-ares), the system's servers unless told others. */
import { Resolver } from 'node:dns/promises'
import { dnsTimeoutMs } from '../constants.js'
import { Discv4Error } from '../errors.js'
import type { TxtResolver } from '../types.js'

/**
 * A {@link TxtResolver} over node:dns. `servers` (`'127.0.0.1:5353'`, …) replace the system's;
 * each TXT record's strings are joined. A missing name resolves to `[]`.
 */
export function systemTxtResolver(
  opts: { servers?: readonly string[]; timeoutMs?: number } = {},
): TxtResolver {
  return {
    async resolveTxt(name, { signal } = {}) {
      if (signal?.aborted) throw signal.reason
      const r = new Resolver({ timeout: opts.timeoutMs ?? dnsTimeoutMs, tries: 2 })
      if (opts.servers !== undefined) r.setServers([...opts.servers])
      const onAbort = () => r.cancel()
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        const records = await r.resolveTxt(name)
        return records.map((chunks) => chunks.join(''))
      } catch (err) {
        if (signal?.aborted) throw signal.reason
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOTFOUND' || code === 'ENODATA') return []
        throw new Discv4Error('ErrDnsLookup', `TXT ${name}: ${code ?? String(err)}`, { cause: err })
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },
  }
}
