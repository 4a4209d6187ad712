// Throughput of fork-id computation, the EIP-2124 filter and full Status handshakes over an
// in-memory pipe. Not a test; figures depend on the machine and its load.
import { loadavg } from 'node:os'
import { hexToBytes } from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import {
  computeForkId,
  createForkFilter,
  type ForkConfig,
  handshake,
  type LocalStatus,
} from '../src/index.js'

const mainnet: ForkConfig = {
  genesisHash: hexToBytes('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'),
  forksByBlock: [
    1150000n,
    1920000n,
    2463000n,
    2675000n,
    4370000n,
    7280000n,
    9069000n,
    9200000n,
    12244000n,
    12965000n,
    13773000n,
    15050000n,
  ],
  forksByTime: [1681338455n, 1710338135n, 1746612311n, 1764798551n, 1765290071n, 1767747671n],
}
const head = { number: 23_000_000n, time: 1_770_000_000n }

function rate(name: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.min(n, 1000); i++) fn()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  const ms = performance.now() - t0
  console.log(`${name}: ${Math.round((n / ms) * 1000).toLocaleString('en-US')} ops/s`)
}

async function rateAsync(name: string, n: number, fn: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await fn()
  const ms = performance.now() - t0
  console.log(`${name}: ${Math.round((n / ms) * 1000).toLocaleString('en-US')} ops/s`)
}

console.log(
  `load average (1/5/15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
rate('computeForkId (mainnet, 18 forks)', 50_000, () => void computeForkId(mainnet, head))
const filter = createForkFilter(mainnet, () => head)
const remote = computeForkId(mainnet, head)
rate('fork filter, same fork', 500_000, () => void filter(remote))
const stale = computeForkId(mainnet, { number: 7_000_000n, time: 0n })
rate('fork filter, remote at an old fork', 500_000, () => void filter(stale))

const local: LocalStatus = {
  networkId: 1n,
  genesisHash: mainnet.genesisHash,
  head: { hash: new Uint8Array(32).fill(1), ...head },
  td: 1n << 70n,
  forks: mainnet,
}
for (const version of [63, 68, 69]) {
  await rateAsync(`eth/${version} handshake pair over msgPipe`, 5_000, async () => {
    const [a, b] = msgPipe({ version })
    await Promise.all([
      handshake({ conn: a, local }, { forkFilter: filter }),
      handshake({ conn: b, local }, { forkFilter: filter }),
    ])
  })
}
