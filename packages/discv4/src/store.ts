/**
 * Known nodes in the data directory, so a restart starts from the nodes it knew and not only
 * from bootnodes: one JSON file (`discv4-nodes.json`), written atomically (temporary file, then
 * rename). It also keeps our record's sequence number, so a changed record always gets a higher
 * one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BondRecord } from './bonds.js'
import { nodesFileName } from './constants.js'
import { Enr } from './enr.js'
import { Discv4Error } from './errors.js'
import { isIp } from './ip.js'
import { type DiscoveredNode, enodeUrl, makeNode, nodeFromEnode, withEnr } from './node.js'

const fileVersion = 1

/** One persisted node. */
export interface StoredNode {
  readonly node: DiscoveredNode
  readonly bond: BondRecord
  /** Successful liveness checks when written. */
  readonly checks: number
}

/** What the file holds. */
export interface StoredState {
  /** Hex node id of the key that wrote the file. */
  readonly selfId: string
  /** Our record's last sequence number and its content (hex of the RLP pairs). */
  readonly localSeq?: bigint
  readonly localContent?: string
  readonly nodes: readonly StoredNode[]
}

interface FileShape {
  version: number
  selfId: string
  localSeq?: string
  localContent?: string
  nodes: {
    enode: string
    enr?: string
    lastPingMs: number
    lastPongMs: number
    findFails: number
    checks: number
  }[]
}

/** Reads the file; `undefined` when there is none. Throws `ErrStore` for an unreadable one. */
export async function readStore(dataDir: string): Promise<StoredState | undefined> {
  const file = join(dataDir, nodesFileName)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Discv4Error('ErrStore', `cannot read ${file}`, { cause: err })
  }
  let parsed: FileShape
  try {
    parsed = JSON.parse(text) as FileShape
  } catch (cause) {
    throw new Discv4Error('ErrStore', `${file} is not JSON`, { cause })
  }
  if (parsed.version !== fileVersion || !Array.isArray(parsed.nodes)) {
    throw new Discv4Error('ErrStore', `${file}: unknown format`)
  }
  const nodes: StoredNode[] = []
  for (const n of parsed.nodes) {
    // A bad entry is skipped, not fatal: the file is a cache.
    try {
      let node = nodeFromEnode(n.enode)
      if (typeof n.enr === 'string') node = withEnr(node, Enr.fromText(n.enr))
      if (!isIp(node.ip)) continue
      nodes.push({
        node: makeNode(node),
        bond: {
          lastPingReceivedMs: num(n.lastPingMs),
          lastPongReceivedMs: num(n.lastPongMs),
          findFails: num(n.findFails),
        },
        checks: num(n.checks),
      })
    } catch {}
  }
  return {
    selfId: String(parsed.selfId),
    ...(parsed.localSeq === undefined ? {} : { localSeq: BigInt(parsed.localSeq) }),
    ...(parsed.localContent === undefined ? {} : { localContent: parsed.localContent }),
    nodes,
  }
}

function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0
}

/** Writes the file atomically. */
export async function writeStore(dataDir: string, state: StoredState): Promise<void> {
  await mkdir(dataDir, { recursive: true })
  const file = join(dataDir, nodesFileName)
  const body: FileShape = {
    version: fileVersion,
    selfId: state.selfId,
    ...(state.localSeq === undefined ? {} : { localSeq: state.localSeq.toString() }),
    ...(state.localContent === undefined ? {} : { localContent: state.localContent }),
    nodes: state.nodes.map((s) => ({
      enode: enodeUrl(s.node),
      ...(s.node.enr === undefined ? {} : { enr: s.node.enr.toText() }),
      lastPingMs: s.bond.lastPingReceivedMs,
      lastPongMs: s.bond.lastPongReceivedMs,
      findFails: s.bond.findFails,
      checks: s.checks,
    })),
  }
  const tmp = `${file}.${process.pid}.${Math.floor(Math.random() * 1e9)}.tmp`
  await writeFile(tmp, `${JSON.stringify(body, null, 1)}\n`)
  await rename(tmp, file)
}
