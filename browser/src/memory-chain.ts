/**
 * The chain the downloader imports into, all in memory: every header since `root` (a few hundred
 * bytes each), its total difficulty relative to the root and its transaction count. Bodies are
 * checked against their headers by the downloader and then dropped. Fork choice is the peer's:
 * the block imported last is the head (the downloader imports towards the peer's head). No seal
 * or difficulty rules: the page trusts the peer for those.
 */
import type { DownloaderChain } from '@ethwire/downloader'
import { type Block, type BlockHeader, bytesToHex } from '@ethwire/rlp-wire'

export interface StoredBlock {
  readonly header: BlockHeader
  /** Total difficulty above the root (the root's is taken as 0). */
  readonly td: bigint
  readonly txs: number
}

const key = (hash: Uint8Array): string => bytesToHex(hash)

export class MemoryChain implements DownloaderChain {
  readonly #blocks = new Map<string, StoredBlock>()
  /** Canonical hashes by number − `root.number`. */
  readonly #canonical: string[] = []
  readonly root: BlockHeader
  /** Headers imported (the root not counted). */
  imported = 0

  constructor(
    root: BlockHeader,
    /** Called after each import that added blocks, with the new head and how many were added. */
    readonly onHead: (head: StoredBlock, added: number) => void = () => {},
  ) {
    this.root = root
    this.#blocks.set(key(root.hash), { header: root, td: 0n, txs: 0 })
    this.#canonical.push(key(root.hash))
  }

  get head(): StoredBlock {
    return this.#blocks.get(this.#canonical.at(-1)!)!
  }

  has(hash: Uint8Array): boolean {
    return this.#blocks.has(key(hash))
  }

  /** The canonical block at `number`, when we have it. */
  byNumber(number: bigint): StoredBlock | undefined {
    const hash = this.#canonical[Number(number - this.root.number)]
    return number < this.root.number || hash === undefined ? undefined : this.#blocks.get(hash)
  }

  currentBlock() {
    const { header, td } = this.head
    return { number: header.number, hash: header.hash, td }
  }

  hasBlock(hash: Uint8Array, number: bigint): boolean {
    return this.#blocks.get(key(hash))?.header.number === number
  }

  getHeaderByNumber(number: bigint): BlockHeader | undefined {
    return this.byNumber(number)?.header
  }

  getTd(hash: Uint8Array): bigint | undefined {
    return this.#blocks.get(key(hash))?.td
  }

  async insertChain(blocks: Block[]): Promise<number> {
    let added = 0
    for (const [index, block] of blocks.entries()) {
      const h = block.header
      if (this.has(h.hash)) continue
      const parent = this.#blocks.get(key(h.parentHash))
      if (parent === undefined || parent.header.number + 1n !== h.number) {
        // `index` tells the downloader which block it was.
        throw Object.assign(new Error(`block #${h.number}: unknown parent`), { index })
      }
      const stored = { header: h, td: parent.td + h.difficulty, txs: block.transactions.length }
      this.#blocks.set(key(h.hash), stored)
      this.#setHead(stored)
      added++
    }
    this.imported += added
    if (added > 0) this.onHead(this.head, added)
    return added
  }

  /** Makes `s` the head: rewrites the canonical index back to where it agrees. */
  #setHead(s: StoredBlock): void {
    let i = Number(s.header.number - this.root.number)
    this.#canonical.length = i + 1
    for (
      let cur: StoredBlock | undefined = s;
      cur && this.#canonical[i] !== key(cur.header.hash);
      i--
    ) {
      this.#canonical[i] = key(cur.header.hash)
      cur = this.#blocks.get(key(cur.header.parentHash))
    }
  }
}
