import { nobleRecoverer, secp256k1N } from '@ethwire/crypto'
import { Transaction, type TxData } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { createTxPool, intrinsicGas, type TxPoolErrorCode } from '../src/index.js'
import { createMemoryState, signTx } from '../src/testing.js'
import { alice, bob, chainId, tx1559, txLegacy } from './helpers.js'

const pool = (opts = {}, deps = {}) => createTxPool(deps, { chainId, ...opts })

async function rejects(p: Promise<unknown>, code: TxPoolErrorCode) {
  await expect(p).rejects.toMatchObject({ name: 'TxPoolError', code })
}

const resign = (tx: Transaction, over: Partial<TxData>) =>
  Transaction.fromData({ ...tx.toData(), ...over })

describe('stateless validation', () => {
  it('accepts every transaction type and recovers the sender', async () => {
    const p = pool()
    const to = new Uint8Array(20).fill(1)
    const txs = [
      txLegacy(alice.key, 0n),
      signTx(
        {
          type: 0,
          nonce: 1n,
          gasPrice: 10n,
          gasLimit: 21_000n,
          to,
          value: 0n,
          data: new Uint8Array(),
        },
        alice.key,
      ),
      signTx(
        {
          type: 1,
          chainId,
          nonce: 2n,
          gasPrice: 10n,
          gasLimit: 30_000n,
          to,
          value: 0n,
          data: new Uint8Array(),
          accessList: [{ address: to, storageKeys: [new Uint8Array(32)] }],
        },
        alice.key,
      ),
      tx1559(alice.key, 3n),
      signTx(
        {
          type: 4,
          chainId,
          nonce: 4n,
          maxPriorityFeePerGas: 2n,
          maxFeePerGas: 100n,
          gasLimit: 50_000n,
          to,
          value: 0n,
          data: new Uint8Array(),
          accessList: [],
          authorizationList: [{ chainId, address: to, nonce: 0n, yParity: 0n, r: 1n, s: 1n }],
        },
        alice.key,
      ),
    ]
    for (const tx of txs) {
      const added = await p.addRaw(tx.encode())
      expect(added.senderHex).toBe(`0x${Buffer.from(alice.address).toString('hex')}`)
    }
    expect(p.status()).toEqual({ pending: 5, queued: 0 }) // blob txs: test/blob.test.ts
  })

  it('computes intrinsic gas with data, access list, auths and init code words', () => {
    const data = new Uint8Array(33)
    data[0] = 1
    const g = intrinsicGas({
      data,
      to: null,
      accessList: [
        { address: new Uint8Array(20), storageKeys: [new Uint8Array(32), new Uint8Array(32)] },
      ],
      authorizationList: [
        { chainId: 1n, address: new Uint8Array(20), nonce: 0n, yParity: 0n, r: 1n, s: 1n },
      ],
    })
    // 53000 + 32*4 + 16 + 2 words*2 + 2400 + 2*1900 + 25000
    expect(g.gas).toBe(53_000n + 128n + 16n + 4n + 2400n + 3800n + 25_000n)
    expect(g.floor).toBe(21_000n + (32n + 4n) * 10n)
  })

  const cases: Array<[string, () => Promise<unknown>, TxPoolErrorCode]> = [
    ['undecodable bytes', () => pool().addRaw(Uint8Array.of(0xc3, 1, 2)), 'ErrDecode'],
    [
      'oversized',
      () =>
        pool({ eip7623: false }).add(
          tx1559(alice.key, 0n, {}, { data: new Uint8Array(130 * 1024), gasLimit: 30_000_000n }),
        ),
      'ErrOversized',
    ],
    [
      'type not accepted',
      () => pool({ types: [0, 2] }).add(txLegacy(alice.key, 0n, 10n, { type: 1, accessList: [] })),
      'ErrTxTypeNotSupported',
    ],
    [
      'wrong chain id (typed)',
      () => pool().add(signTx({ ...tx1559(alice.key, 0n).toData(), chainId: 5n }, alice.key)),
      'ErrInvalidChainId',
    ],
    [
      'wrong chain id (legacy)',
      () => pool().add(signTx({ ...txLegacy(alice.key, 0n).toData(), chainId: 5n }, alice.key)),
      'ErrInvalidChainId',
    ],
    [
      'unprotected legacy when refused',
      () => {
        const d = txLegacy(alice.key, 0n).toData()
        delete d.chainId
        return pool({ allowUnprotected: false }).add(signTx(d, alice.key))
      },
      'ErrInvalidChainId',
    ],
    [
      'high s (EIP-2)',
      () => {
        const t = tx1559(alice.key, 0n)
        return pool().add(resign(t, { s: secp256k1N - t.s, v: t.v ^ 1n }))
      },
      'ErrInvalidSignature',
    ],
    ['r = 0', () => pool().add(resign(tx1559(alice.key, 0n), { r: 0n })), 'ErrInvalidSignature'],
    [
      'no key recovers',
      () => pool().add(resign(tx1559(alice.key, 0n), { r: 5n })),
      'ErrInvalidSender',
    ],
    [
      'gas below intrinsic',
      () => pool().add(tx1559(alice.key, 0n, {}, { gasLimit: 20_999n })),
      'ErrIntrinsicGas',
    ],
    [
      'gas below access list cost',
      () =>
        pool().add(
          tx1559(
            alice.key,
            0n,
            {},
            { accessList: [{ address: new Uint8Array(20), storageKeys: [] }] },
          ),
        ),
      'ErrIntrinsicGas',
    ],
    [
      'gas below EIP-7623 floor',
      () =>
        pool().add(
          tx1559(
            alice.key,
            0n,
            {},
            { data: new Uint8Array(100).fill(1), gasLimit: 21_000n + 1600n },
          ),
        ),
      'ErrFloorDataGas',
    ],
    [
      'gas over block gas limit',
      () => pool({ blockGasLimit: 30_000n }).add(tx1559(alice.key, 0n, {}, { gasLimit: 30_001n })),
      'ErrGasLimit',
    ],
    [
      'init code too large',
      () =>
        pool({ eip7623: false }).add(
          tx1559(
            alice.key,
            0n,
            {},
            { to: null, data: new Uint8Array(49_153), gasLimit: 10_000_000n },
          ),
        ),
      'ErrInitCodeSize',
    ],
    [
      'tip above fee cap',
      () => pool().add(tx1559(alice.key, 0n, { tip: 101n, cap: 100n })),
      'ErrTipAboveFeeCap',
    ],
    [
      'tip below minimum',
      () => pool({ minGasPrice: 3n }).add(tx1559(alice.key, 0n, { tip: 2n })),
      'ErrTxGasPriceTooLow',
    ],
    [
      'gas price below minimum',
      () => pool({ minGasPrice: 11n }).add(txLegacy(alice.key, 0n, 10n)),
      'ErrTxGasPriceTooLow',
    ],
    [
      'empty authorization list',
      () => pool().add(tx1559(alice.key, 0n, {}, { type: 4, authorizationList: [] })),
      'ErrInvalidTxFields',
    ],
    ['nonce 2^64-1', () => pool().add(tx1559(alice.key, (1n << 64n) - 1n)), 'ErrNonceMax'],
    [
      'nonce below state',
      () =>
        pool(
          {},
          {
            state: createMemoryState({
              [hexOf(alice.address)]: { nonce: 5n, balance: 10n ** 18n },
            }),
          },
        ).add(tx1559(alice.key, 4n)),
      'ErrNonceTooLow',
    ],
    [
      'insufficient funds',
      () => pool({}, { state: createMemoryState() }).add(tx1559(alice.key, 0n)),
      'ErrInsufficientFunds',
    ],
    [
      'already known',
      async () => {
        const p = pool()
        await p.add(tx1559(alice.key, 0n))
        return p.add(tx1559(alice.key, 0n))
      },
      'ErrAlreadyKnown',
    ],
    [
      'stopped',
      async () => {
        const p = pool()
        await p.stop()
        return p.add(tx1559(alice.key, 0n))
      },
      'ErrPoolStopped',
    ],
  ]
  for (const [name, fn, code] of cases) it(`rejects: ${name} → ${code}`, () => rejects(fn(), code))

  it('cumulative balance: the second tx of a sender must be covered with the first', async () => {
    const cost = 21_000n * 100n + 1n
    const p = pool(
      {},
      { state: createMemoryState({ [hexOf(bob.address)]: { balance: cost * 2n - 1n } }) },
    )
    await p.add(tx1559(bob.key, 0n))
    await rejects(p.add(tx1559(bob.key, 1n)), 'ErrInsufficientFunds')
  })

  it('works with the noble recoverer injected', async () => {
    const p = createTxPool({ recoverer: nobleRecoverer }, { chainId })
    expect((await p.add(tx1559(alice.key, 0n))).sender).toEqual(alice.address)
  })
})

function hexOf(b: Uint8Array) {
  return `0x${Buffer.from(b).toString('hex')}`
}
