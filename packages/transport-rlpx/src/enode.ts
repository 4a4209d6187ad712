/** `enode://<node id hex>@<host>:<tcp port>[?discport=<udp port>]` URLs. */
import { fromHex, toHex } from './bytes.js'
import { isValidNodeId } from './ecies.js'
import { RlpxError } from './errors.js'

export interface Enode {
  /** 64-byte node id (uncompressed public key without the 0x04 prefix). */
  readonly id: Uint8Array
  /** IPv4/IPv6 address or DNS name (IPv6 without brackets). */
  readonly host: string
  readonly port: number
  /** UDP discovery port when it differs from `port`. */
  readonly discPort?: number
}

function bad(url: string, why: string): never {
  throw new RlpxError('ErrInvalidEnode', `${why}: ${url}`)
}

function parsePort(s: string, url: string): number {
  if (!/^\d{1,5}$/.test(s)) bad(url, 'bad port')
  const n = Number(s)
  if (n > 65535) bad(url, 'bad port')
  return n
}

/** Parses and checks an enode URL (the id must be a point on secp256k1). */
export function parseEnode(url: string): Enode {
  const m =
    /^enode:\/\/([0-9a-fA-F]{128})@(\[[0-9a-fA-F:.]+\]|[^:/?#@[\]]+):(\d+)(?:\?(.*))?$/.exec(
      url.trim(),
    )
  if (!m) bad(url, 'not an enode URL')
  const id = fromHex(m[1]!)
  if (!isValidNodeId(id)) bad(url, 'node id is not a secp256k1 public key')
  let host = m[2]!
  if (host.startsWith('[')) host = host.slice(1, -1)
  const port = parsePort(m[3]!, url)
  let discPort: number | undefined
  if (m[4] !== undefined) {
    for (const kv of m[4].split('&')) {
      const [k, v] = kv.split('=')
      if (k === 'discport' && v !== undefined) discPort = parsePort(v, url)
    }
  }
  return discPort === undefined ? { id, host, port } : { id, host, port, discPort }
}

export function formatEnode(e: Enode): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host
  const q = e.discPort !== undefined && e.discPort !== e.port ? `?discport=${e.discPort}` : ''
  return `enode://${toHex(e.id)}@${host}:${e.port}${q}`
}
