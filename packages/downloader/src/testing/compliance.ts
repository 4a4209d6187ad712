/** A compliance check for `DownloaderPeer` adapters over a real transport. */
import { type Block, type BlockHeader, checkBody, equalBytes } from '@ethwire/rlp-wire'
import type { DownloaderPeer } from '../types.js'

/**
 * Exercise a {@link DownloaderPeer} that serves `blocks` (consecutive, any start) the way the
 * downloader will, and return what is wrong (an empty list when it behaves). Checks: head
 * header by hash, a skeleton-style request (skip), a reverse fill by hash, an unknown hash,
 * bodies in order, and that an aborted request rejects. For adapters over a real transport.
 */
export async function checkDownloaderPeer(
  peer: DownloaderPeer,
  blocks: Block[],
  opts: { timeoutMs?: number } = {},
): Promise<string[]> {
  const problems: string[] = []
  const timeoutMs = opts.timeoutMs ?? 5_000
  const base = blocks[0]!.header.number
  const last = blocks[blocks.length - 1]!
  const numbers = (hs: BlockHeader[]): string => hs.map((h) => h.number).join(',')
  const within = async <T>(
    what: string,
    f: (s: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> => {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(new Error('timeout')), timeoutMs)
    try {
      return await f(ac.signal)
    } catch (err) {
      problems.push(`${what}: ${String(err)}`)
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
  const head = await within('head by hash', (s) =>
    peer.requestHeadersByHash(last.hash, 1, 0, false, s),
  )
  if (head !== undefined && (head.length !== 1 || !equalBytes(head[0]!.hash, last.hash))) {
    problems.push(`head by hash: got [${numbers(head)}]`)
  }
  if (blocks.length >= 7) {
    const skel = await within('skip', (s) => peer.requestHeadersByNumber(base + 1n, 3, 2, false, s))
    const want = [base + 1n, base + 4n, base + 7n].filter((n) => n <= last.header.number)
    if (skel !== undefined && numbers(skel) !== want.join(',')) {
      problems.push(`by number with skip 2: got [${numbers(skel)}], want [${want.join(',')}]`)
    }
  }
  const fill = await within('reverse by hash', (s) =>
    peer.requestHeadersByHash(last.hash, 4, 0, true, s),
  )
  const wantFill = blocks.slice(-4).reverse()
  if (fill !== undefined && numbers(fill) !== numbers(wantFill.map((b) => b.header))) {
    problems.push(`reverse by hash: got [${numbers(fill)}]`)
  }
  const unknown = await within('unknown hash', (s) =>
    peer.requestHeadersByHash(new Uint8Array(32).fill(0xee), 1, 0, false, s),
  )
  if (unknown !== undefined && unknown.length !== 0) problems.push('unknown hash: not empty')
  const some = blocks.slice(-3)
  const bodies = await within('bodies', (s) =>
    peer.requestBodies(
      some.map((b) => b.hash),
      s,
    ),
  )
  if (bodies !== undefined) {
    if (bodies.length !== some.length) problems.push(`bodies: ${bodies.length} for ${some.length}`)
    bodies.forEach((body, i) => {
      try {
        checkBody(some[i]!.header, body)
      } catch {
        problems.push(`bodies: body ${i} does not match its header`)
      }
    })
  }
  const ac = new AbortController()
  const pending = peer.requestHeadersByNumber(base, 1, 0, false, ac.signal)
  ac.abort(new Error('aborted by check'))
  const settled = await Promise.race([
    pending.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise<string>((r) => setTimeout(() => r('pending'), timeoutMs)),
  ])
  // Answering before the abort is seen is fine; hanging is not.
  if (settled === 'pending') problems.push('an aborted request neither rejected nor resolved')
  return problems
}
