// txsync without the rest of ethwire: your own transactions, your own peers.
// Run: node --conditions=@ethwire/source --import tsx examples/standalone.ts
import { createTxSync, type TxSyncPeer } from '@ethwire/txsync'

/** Any object with a hash, a type and an encoded size is a transaction to txsync. */
interface MyTx {
  hash: Uint8Array
  type: number
  size: number
  payload: string
}

/** A peer over whatever transport you have; here it just logs. */
function myPeer(id: string, version: number, log: string[]): TxSyncPeer<MyTx> {
  const known = new Set<string>()
  const key = (h: Uint8Array) => Buffer.from(h).toString('hex')
  return {
    id,
    version,
    knowsTx: (h) => known.has(key(h)),
    markTransaction: (h) => void known.add(key(h)),
    async sendTransactions(txs) {
      log.push(`${id} <- Transactions(${txs.length}, ${txs.reduce((s, t) => s + t.size, 0)} B)`)
    },
    async sendPooledTransactionHashes(txs) {
      log.push(`${id} <- NewPooledTransactionHashes(${txs.length})`)
    },
  }
}

export async function main(): Promise<string[]> {
  const log: string[] = []
  const pool: MyTx[] = Array.from({ length: 300 }, (_, i) => ({
    hash: Uint8Array.of(i >> 8, i & 0xff, ...new Uint8Array(30)),
    type: 2,
    size: 1000,
    payload: `tx ${i}`,
  }))
  const sync = createTxSync<MyTx>({
    pending: () => pool,
    onPackSent: (peer, txs) => log.push(`pack of ${txs.length} delivered to ${peer.id}`),
  })
  await sync.start()
  sync.addPeer(myPeer('alice', 68, log)) // gets all 300 in 3 packs of ≤ 100 KiB
  await new Promise((r) => setTimeout(r, 10))

  for (let i = 0; i < 8; i++) sync.addPeer(myPeer(`peer${i}`, 68, log))
  await new Promise((r) => setTimeout(r, 50))
  const fresh: MyTx = { hash: new Uint8Array(32).fill(0xee), type: 2, size: 120, payload: 'new' }
  const summary = sync.broadcast([fresh]) // 9 peers: 3 in full, 6 by hash
  log.push(`broadcast: ${summary.direct} direct, ${summary.announced} announced`)
  await sync.stop()
  return log
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await main()) console.log(line)
}
