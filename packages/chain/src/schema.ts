/** go-ethereum's classic rawdb key layout. */
const enc = new TextEncoder()
const h = enc.encode('h')
const H = enc.encode('H')
const b = enc.encode('b')
const r = enc.encode('r')
const c = enc.encode('c')
const l = enc.encode('l')

export const keyLastHeader = enc.encode('LastHeader')
export const keyLastBlock = enc.encode('LastBlock')
export const keyLastFast = enc.encode('LastFast')
/** The layout version of the database (RLP integer), as go-ethereum's `DatabaseVersion`. */
export const keyDatabaseVersion = enc.encode('DatabaseVersion')
/**
 * ethwire's marker (no go-ethereum key): the database was initialised from a header-only genesis
 * (a network preset without its alloc), so the genesis state is absent until a sync brings a state.
 */
export const keyHeaderOnlyGenesis = enc.encode('ethwire-header-only-genesis')

export function num8(n: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, n)
  return out
}
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
/** 'h' + num + hash → header RLP */
export const headerKey = (n: bigint, hash: Uint8Array) => cat(h, num8(n), hash)
/** 'h' + num + hash + 't' → total difficulty RLP */
export const tdKey = (n: bigint, hash: Uint8Array) => cat(h, num8(n), hash, enc.encode('t'))
/** 'h' + num + 'n' → canonical hash */
export const canonicalKey = (n: bigint) => cat(h, num8(n), enc.encode('n'))
/** 'H' + hash → num (8 bytes) */
export const numberKey = (hash: Uint8Array) => cat(H, hash)
/** 'b' + num + hash → body RLP */
export const bodyKey = (n: bigint, hash: Uint8Array) => cat(b, num8(n), hash)
/** 'r' + num + hash → receipts (RLP list of consensus-encoded receipts) */
export const receiptsKey = (n: bigint, hash: Uint8Array) => cat(r, num8(n), hash)
/** 'c' + code hash → contract code */
export const codeKey = (hash: Uint8Array) => cat(c, hash)
/** 'ethereum-config-' + genesis hash → chain config JSON */
export const configKey = (genesisHash: Uint8Array) =>
  cat(enc.encode('ethereum-config-'), genesisHash)
/** 'l' + tx hash → number of the canonical block holding it (big-endian, no leading zeros) */
export const txLookupKey = (hash: Uint8Array) => cat(l, hash)
