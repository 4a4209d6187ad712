// Two ends of an in-memory eth/68 connection shake hands; then a peer on another network is
// refused with a typed error. Run: pnpm --filter @ethwire/handshake example
import {
  computeForkId,
  type ForkConfig,
  formatForkId,
  handshake,
  isHandshakeError,
  type LocalStatus,
} from '@ethwire/handshake'
import { disconnectReasonName, hexToBytes, type StatusEth64 } from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'

const genesisHash = hexToBytes('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3')
const mainnet: ForkConfig = {
  genesisHash,
  forksByBlock: [1150000n, 1920000n, 2463000n, 2675000n, 4370000n, 7280000n, 9069000n, 9200000n],
  forksByTime: [],
}
const head = { hash: new Uint8Array(32).fill(0xaa), number: 9_500_000n, time: 0n }
console.log('fork id at block 9,500,000:', formatForkId(computeForkId(mainnet, head)))

const local: LocalStatus = { networkId: 1n, genesisHash, head, td: 1n << 70n, forks: mainnet }
const [a, b] = msgPipe({ version: 68 })
const [fromA, fromB] = await Promise.all([
  handshake({ conn: a, local }),
  handshake({ conn: b, local: { ...local, td: 1n << 71n } }),
])
console.log(`eth/${fromA.version} handshake done; A sees TD`, (fromA.remote as StatusEth64).td)
console.log('B sees fork id', formatForkId((fromB.remote as StatusEth64).forkId))

const [c, d] = msgPipe({ version: 68 })
const results = await Promise.allSettled([
  handshake({ conn: c, local }),
  handshake({ conn: d, local: { ...local, networkId: 5n } }),
])
for (const r of results) {
  if (r.status === 'rejected' && isHandshakeError(r.reason)) {
    console.log(
      'refused:',
      r.reason.code,
      '-> disconnect',
      disconnectReasonName(r.reason.disconnectReason),
    )
  }
}
