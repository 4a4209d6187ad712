/**
 * EIP-1459 tree entries: `enrtree-root:v1 e=… l=… seq=… sig=…`, `enrtree-branch:h1,h2,…`,
 * `enrtree://<key>@<domain>` links and `enr:…` leaves; the subdomain of an entry is the base32
 * of the first 16 bytes of keccak256 of its text. Also building and signing a tree (for tests and
 * for publishing one).
 */
import { equalBytes, keccak256 } from '@ethwire/rlp-wire'
import { dnsMaxBranchChildren, dnsMinHashBytes } from '../constants.js'
import { Enr } from '../enr.js'
import { Discv4Error } from '../errors.js'
import {
  compressPublicKey,
  decompressPublicKey,
  publicKeyOf,
  signRecoverable,
  verifySignature,
} from '../keys.js'

const b32alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const b32index = new Map([...b32alphabet].map((c, i) => [c, i]))

/** RFC 4648 base32, no padding. */
export function base32Encode(b: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const x of b) {
    value = (value << 8) | x
    bits += 8
    while (bits >= 5) {
      out += b32alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += b32alphabet[(value << (5 - bits)) & 31]
  return out
}

/** Strict unpadded base32; `undefined` on a bad character or non-zero trailing bits. */
export function base32Decode(s: string): Uint8Array | undefined {
  const out: number[] = []
  let bits = 0
  let value = 0
  const r = s.length % 8
  if (r === 1 || r === 3 || r === 6) return undefined
  for (const c of s) {
    const v = b32index.get(c)
    if (v === undefined) return undefined
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  if (bits > 0 && (value & ((1 << bits) - 1)) !== 0) return undefined
  return Uint8Array.from(out)
}

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url')

export const rootPrefix = 'enrtree-root:v1'
export const linkPrefix = 'enrtree://'
export const branchPrefix = 'enrtree-branch:'
export const enrPrefix = 'enr:'

/** The signed root of a tree. */
export interface RootEntry {
  readonly kind: 'root'
  readonly eroot: string
  readonly lroot: string
  readonly seq: number
  /** 65 bytes. */
  readonly sig: Uint8Array
}
export interface BranchEntry {
  readonly kind: 'branch'
  readonly children: readonly string[]
}
export interface LinkEntry {
  readonly kind: 'link'
  /** `<key>@<domain>` (the URL without the scheme). */
  readonly str: string
  readonly domain: string
  /** 64-byte public key. */
  readonly publicKey: Uint8Array
}
export interface EnrEntry {
  readonly kind: 'enr'
  readonly enr: Enr
}
export type TreeEntry = BranchEntry | LinkEntry | EnrEntry

function syntax(message: string): never {
  throw new Discv4Error('ErrDnsSyntax', message)
}

/** The text a root's signature covers. */
function rootContent(e: Pick<RootEntry, 'eroot' | 'lroot' | 'seq'>): string {
  return `${rootPrefix} e=${e.eroot} l=${e.lroot} seq=${e.seq}`
}

export function rootSigHash(e: Pick<RootEntry, 'eroot' | 'lroot' | 'seq'>): Uint8Array {
  return keccak256(new TextEncoder().encode(rootContent(e)))
}

export function formatRoot(e: RootEntry): string {
  return `${rootContent(e)} sig=${b64(e.sig)}`
}

/** Whether a hash names a subdomain: base32 of 12 to 32 bytes. */
export function isValidHash(s: string): boolean {
  if (/[\r\n]/.test(s)) return false
  const d = base32Decode(s)
  return d !== undefined && d.length >= dnsMinHashBytes && d.length <= 32
}

/** Parses a root record (the signature is checked by {@link verifyRoot}). */
export function parseRoot(txt: string): RootEntry {
  const m = /^enrtree-root:v1 e=(\S+) l=(\S+) seq=(\d+) sig=(\S+)$/.exec(txt.trim())
  if (m === null) syntax('root record')
  const [, eroot, lroot, seqText, sigText] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
  ]
  if (!isValidHash(eroot) || !isValidHash(lroot)) syntax('root names an invalid child hash')
  const sig = Buffer.from(sigText, 'base64url')
  if (!/^[A-Za-z0-9_-]+$/.test(sigText) || sig.length !== 65) {
    throw new Discv4Error('ErrDnsBadSignature', 'root signature is not 65 bytes of base64url')
  }
  const seq = Number(seqText)
  if (!Number.isSafeInteger(seq)) syntax('root seq')
  return { kind: 'root', eroot, lroot, seq, sig: new Uint8Array(sig) }
}

/** Whether the root is signed by `publicKey` (64 bytes). */
export function verifyRoot(root: RootEntry, publicKey: Uint8Array): boolean {
  return verifySignature(rootSigHash(root), root.sig.subarray(0, 64), publicKey)
}

/** Parses `enrtree://<base32 compressed key>@<domain>`. Throws `ErrDnsSyntax`. */
export function parseLink(url: string): LinkEntry {
  if (!url.startsWith(linkPrefix)) syntax(`not an enrtree:// URL: ${url}`)
  const str = url.slice(linkPrefix.length)
  const at = str.indexOf('@')
  if (at < 0) syntax('link has no public key')
  const key = base32Decode(str.slice(0, at))
  if (key === undefined) syntax('link key is not base32')
  let publicKey: Uint8Array
  try {
    publicKey = decompressPublicKey(key)
  } catch {
    syntax('link key is not a secp256k1 key')
  }
  const domain = str.slice(at + 1)
  if (domain === '' || /[\s/]/.test(domain)) syntax('link domain')
  return { kind: 'link', str, domain, publicKey }
}

/** The `enrtree://` URL of a tree at `domain` signed by the key of `publicKey` (64 bytes). */
export function formatLink(domain: string, publicKey: Uint8Array): string {
  return `${linkPrefix}${base32Encode(compressPublicKey(publicKey))}@${domain}`
}

/** Parses a branch, link or ENR entry. Throws `ErrDnsSyntax` (unknown prefix too). */
export function parseEntry(txt: string): TreeEntry {
  if (txt.startsWith(linkPrefix)) return parseLink(txt)
  if (txt.startsWith(branchPrefix)) {
    const rest = txt.slice(branchPrefix.length)
    if (rest === '') return { kind: 'branch', children: [] }
    const children = rest.split(',')
    for (const c of children) if (!isValidHash(c)) syntax('branch names an invalid hash')
    return { kind: 'branch', children }
  }
  if (txt.startsWith(enrPrefix)) {
    try {
      return { kind: 'enr', enr: Enr.fromText(txt) }
    } catch (cause) {
      throw new Discv4Error('ErrDnsSyntax', 'bad ENR leaf', { cause })
    }
  }
  syntax('unknown entry type')
}

/** The text of an entry. */
export function formatEntry(e: TreeEntry): string {
  switch (e.kind) {
    case 'branch':
      return branchPrefix + e.children.join(',')
    case 'link':
      return linkPrefix + e.str
    case 'enr':
      return e.enr.toText()
  }
}

/** The subdomain label of an entry text: base32(keccak256(text)[:16]). */
export function subdomainOf(text: string): string {
  return base32Encode(keccak256(new TextEncoder().encode(text)).subarray(0, 16))
}

/** Whether `text` hashes to `hash` (a base32 prefix of its keccak256). */
export function textMatchesHash(text: string, hash: string): boolean {
  const want = base32Decode(hash)
  if (want === undefined) return false
  const got = keccak256(new TextEncoder().encode(text)).subarray(0, want.length)
  return equalBytes(got, want)
}

/** A tree ready to publish: every TXT record by name. */
export interface SignedTree {
  /** The `enrtree://` URL clients use. */
  readonly url: string
  readonly seq: number
  /** name (`<hash>.<domain>` or `<domain>`) → TXT content. */
  readonly records: ReadonlyMap<string, string>
}

/**
 * Builds a tree of `enrs` (sorted by node id) and `links` (enrtree:// URLs), at most 13 children
 * per branch (go-ethereum's `MakeTree`), and signs its root with `privateKey` for `domain`.
 */
export function buildDnsTree(opts: {
  readonly domain: string
  readonly privateKey: Uint8Array
  readonly seq: number
  readonly enrs: readonly Enr[]
  readonly links?: readonly string[]
}): SignedTree {
  const entries = new Map<string, string>()
  const build = (texts: string[]): string => {
    if (texts.length === 1) return texts[0]!
    if (texts.length <= dnsMaxBranchChildren) {
      const hashes = texts.map((t) => {
        const h = subdomainOf(t)
        entries.set(h, t)
        return h
      })
      return branchPrefix + hashes.join(',')
    }
    const subs: string[] = []
    for (let i = 0; i < texts.length; i += dnsMaxBranchChildren) {
      subs.push(build(texts.slice(i, i + dnsMaxBranchChildren)))
    }
    return build(subs)
  }
  const sorted = [...opts.enrs].sort((a, b) => Buffer.compare(a.nodeId, b.nodeId))
  const enrTexts = sorted.map((e) => e.toText())
  const linkTexts = (opts.links ?? []).map((l) => formatEntry(parseLink(l)))
  const eroot = build(enrTexts.length === 0 ? [branchPrefix] : enrTexts)
  entries.set(subdomainOf(eroot), eroot)
  const lroot = build(linkTexts.length === 0 ? [branchPrefix] : linkTexts)
  entries.set(subdomainOf(lroot), lroot)
  const unsigned = { eroot: subdomainOf(eroot), lroot: subdomainOf(lroot), seq: opts.seq }
  const sig = signRecoverable(rootSigHash(unsigned), opts.privateKey)
  const records = new Map<string, string>()
  records.set(opts.domain, formatRoot({ kind: 'root', ...unsigned, sig }))
  for (const [h, t] of entries) records.set(`${h}.${opts.domain}`, t)
  return {
    url: formatLink(opts.domain, publicKeyOf(opts.privateKey)),
    seq: opts.seq,
    records,
  }
}
