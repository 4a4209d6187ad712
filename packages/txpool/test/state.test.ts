/**
 * The pool against the head state (issue 12, "Pool and miner"), through a chain double that fits
 * `PoolChain`: every rule with go-ethereum's error text.
 */
import { describe, expect, it } from 'vitest'
import { createTxPool, type TxPoolErrorCode } from '../src/index.js'
import { createMemoryChain, type MemoryAccount } from '../src/testing.js'
import { acceptAllProofs, alice, blobTx, bob, chainId, tx1559, txLegacy } from './helpers.js'

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const eth = 10n ** 18n

async function poolAt(
  accounts: Record<string, MemoryAccount>,
  genesis: { baseFee?: bigint; gasLimit?: bigint; time?: bigint } = {},
  opts: Partial<Parameters<typeof createTxPool>[1]> = {},
) {
  const chain = createMemoryChain(accounts, genesis)
  const pool = createTxPool({ chain, blobVerifier: acceptAllProofs }, { chainId, ...opts })
  await pool.start()
  return { chain, pool }
}

async function rejected(p: Promise<unknown>, code: TxPoolErrorCode, text: string | RegExp) {
  const err = (await p.then(
    () => undefined,
    (e) => e,
  )) as { code: string; message: string } | undefined
  expect(err, `expected ${code}`).toBeDefined()
  expect(err?.code).toBe(code)
  if (typeof text === 'string') expect(err?.message).toBe(text)
  else expect(err?.message).toMatch(text)
}

describe('validation against the head state, with go-ethereum error texts', () => {
  it('nonce too low', async () => {
    const { pool } = await poolAt({ [hexOf(alice.address)]: { nonce: 5n, balance: eth } })
    await rejected(
      pool.add(tx1559(alice.key, 4n)),
      'ErrNonceTooLow',
      'nonce too low: next nonce 5, tx nonce 4',
    )
    expect((await pool.add(tx1559(alice.key, 5n))).pending).toBe(true)
  })

  it('insufficient funds for gas * price + value, alone and with the pending ones', async () => {
    const cost = 21_000n * 100n + 1n
    const { pool } = await poolAt({ [hexOf(alice.address)]: { balance: cost * 2n - 1n } })
    await rejected(
      pool.add(tx1559(alice.key, 0n, {}, { value: cost * 2n })),
      'ErrInsufficientFunds',
      `insufficient funds for gas * price + value: balance ${cost * 2n - 1n}, tx cost ${cost * 2n + 2_100_000n}, overshot ${2_100_001n}`,
    )
    await pool.add(tx1559(alice.key, 0n))
    await rejected(
      pool.add(tx1559(alice.key, 1n)),
      'ErrInsufficientFunds',
      `insufficient funds for gas * price + value: balance ${cost * 2n - 1n}, queued cost ${cost}, tx cost ${cost}, overshot 1`,
    )
  })

  it('the blob fee counts in the cost', async () => {
    // value + gas × fee cap fits; + 1 blob × 131072 blob gas × 5 wei does not
    const base = 21_000n * 100n
    const { pool } = await poolAt({
      [hexOf(alice.address)]: { balance: base + 131_072n * 5n - 1n },
    })
    await rejected(
      pool.add(blobTx(alice.key, 0n)),
      'ErrInsufficientFunds',
      /^insufficient funds for gas \* price \+ value: balance/,
    )
    const { pool: rich } = await poolAt({
      [hexOf(alice.address)]: { balance: base + 131_072n * 5n },
    })
    expect((await rich.add(blobTx(alice.key, 0n))).pending).toBe(true)
  })

  it('intrinsic gas too low: base, data, access list, init code words, authorizations', async () => {
    const { pool } = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      {},
      { eip7623: false },
    )
    await rejected(
      pool.add(tx1559(alice.key, 0n, {}, { gasLimit: 20_999n })),
      'ErrIntrinsicGas',
      'intrinsic gas too low: gas 20999, minimum needed 21000',
    )
    const data = Uint8Array.of(0, 1, 0, 1) // 2×4 + 2×16
    await rejected(
      pool.add(tx1559(alice.key, 0n, {}, { data, gasLimit: 21_039n })),
      'ErrIntrinsicGas',
      'intrinsic gas too low: gas 21039, minimum needed 21040',
    )
    const accessList = [{ address: new Uint8Array(20), storageKeys: [new Uint8Array(32)] }]
    await rejected(
      pool.add(tx1559(alice.key, 0n, {}, { accessList, gasLimit: 21_000n + 4_299n })),
      'ErrIntrinsicGas',
      'intrinsic gas too low: gas 25299, minimum needed 25300',
    )
    // creation: 53,000 + 33 zero bytes × 4 + 2 words × 2
    await rejected(
      pool.add(
        tx1559(alice.key, 0n, {}, { to: null, data: new Uint8Array(33), gasLimit: 53_135n }),
      ),
      'ErrIntrinsicGas',
      'intrinsic gas too low: gas 53135, minimum needed 53136',
    )
    const auth = { chainId, address: new Uint8Array(20), nonce: 0n, yParity: 0n, r: 1n, s: 1n }
    await rejected(
      pool.add(
        tx1559(alice.key, 0n, {}, { type: 4, authorizationList: [auth, auth], gasLimit: 70_999n }),
      ),
      'ErrIntrinsicGas',
      'intrinsic gas too low: gas 70999, minimum needed 71000',
    )
  })

  it('the EIP-7623 floor applies from Prague (by the head time)', async () => {
    const data = new Uint8Array(100).fill(1) // 400 tokens: floor 21,000 + 4,000, intrinsic 22,600
    const tx = () => tx1559(alice.key, 0n, {}, { data, gasLimit: 22_600n })
    const before = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      { time: 99n },
      { forks: { pragueTime: 100n } },
    )
    expect((await before.pool.add(tx())).pending).toBe(true)
    const after = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      { time: 100n },
      { forks: { pragueTime: 100n } },
    )
    await rejected(
      after.pool.add(tx()),
      'ErrFloorDataGas',
      'insufficient gas for floor data gas cost: gas 22600, minimum needed 25000',
    )
  })

  it('exceeds block gas limit (the head’s)', async () => {
    const { pool } = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      { gasLimit: 100_000n },
    )
    await rejected(
      pool.add(tx1559(alice.key, 0n, {}, { gasLimit: 100_001n })),
      'ErrGasLimit',
      'exceeds block gas limit',
    )
  })

  it('from Osaka a transaction may not ask for more than 2^24 gas', async () => {
    const { pool } = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      { time: 5n, gasLimit: 60_000_000n },
      { forks: { osakaTime: 5n } },
    )
    await rejected(
      pool.add(tx1559(alice.key, 0n, {}, { gasLimit: (1n << 24n) + 1n })),
      'ErrGasLimitTooHigh',
      `transaction gas limit too high (cap: 16777216, tx: ${(1n << 24n) + 1n})`,
    )
  })

  it('sender not an eoa (EIP-3607), except an EIP-7702 delegation', async () => {
    const delegation = Uint8Array.of(0xef, 0x01, 0x00, ...new Uint8Array(20).fill(7))
    const { pool } = await poolAt({
      [hexOf(alice.address)]: { balance: eth, code: Uint8Array.of(0x60, 0x00) },
      [hexOf(bob.address)]: { balance: eth, code: delegation },
    })
    await rejected(
      pool.add(tx1559(alice.key, 0n)),
      'ErrSenderNoEOA',
      `sender not an eoa: address ${hexOf(alice.address)}, len(code): 2`,
    )
    expect((await pool.add(tx1559(bob.key, 0n))).pending).toBe(true)
  })

  it('other go-ethereum texts', async () => {
    const { pool } = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      {},
      { minGasPrice: 3n },
    )
    await rejected(
      pool.add(tx1559(alice.key, 0n, { tip: 2n })),
      'ErrTxGasPriceTooLow',
      'transaction gas price below minimum: gas tip cap 2, minimum needed 3',
    )
    await rejected(
      pool.add(tx1559(alice.key, 0n, { tip: 101n, cap: 100n })),
      'ErrTipAboveFeeCap',
      'max priority fee per gas higher than max fee per gas',
    )
    await pool.add(txLegacy(alice.key, 0n, 10n))
    await rejected(pool.add(txLegacy(alice.key, 0n, 10n)), 'ErrAlreadyKnown', 'already known')
    await rejected(
      pool.add(txLegacy(alice.key, 0n, 10n, { value: 2n })),
      'ErrReplaceUnderpriced',
      'replacement transaction underpriced',
    )
    await rejected(
      pool.add(tx1559(alice.key, (1n << 64n) - 1n, { tip: 3n })),
      'ErrNonceMax',
      'nonce has max value',
    )
  })
})

describe('base fee', () => {
  it('a fee cap below the next block’s base fee is queued, and promoted when the base fee drops', async () => {
    // genesis base fee 100 at half-full blocks: the next block's base fee is 100
    const { chain, pool } = await poolAt(
      { [hexOf(alice.address)]: { balance: eth } },
      { baseFee: 100n, gasLimit: 30_000_000n },
    )
    const events: bigint[] = []
    pool.onPending((txs) => events.push(...txs.map((t) => t.tx.nonce)))
    const low = await pool.add(tx1559(alice.key, 0n, { tip: 1n, cap: 99n }))
    const next = await pool.add(tx1559(alice.key, 1n, { tip: 1n, cap: 500n }))
    expect(low.pending).toBe(false)
    expect(next.pending).toBe(false) // behind a nonce that cannot run
    expect(pool.status()).toEqual({ pending: 0, queued: 2 })
    expect(events).toEqual([])
    // an empty block: the next base fee is 100 − 12.5% = 88
    const b1 = chain.extend(chain.head, { gasUsed: 0n })
    chain.setHead(b1)
    await pool.reset()
    expect(pool.status()).toEqual({ pending: 2, queued: 0 })
    expect(events).toEqual([0n, 1n])
    // a full block at base fee 110: the next is 123, above 99: demoted again
    const b2 = chain.extend(b1.header, { gasUsed: 30_000_000n, baseFee: 110n })
    chain.setHead(b2)
    await pool.reset()
    expect(pool.status()).toEqual({ pending: 0, queued: 2 })
  })
})
