import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, privateKeyToAddress, recoverAddress, sign } from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, Transaction } from '@ethwire/rlp-wire'
import { recoverTransactionAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAccountsError } from '../../src/accounts/errors.js'
import { type AccountManager, createAccountManager } from '../../src/accounts/manager.js'
import type { HashSigner } from '../../src/accounts/sign.js'
import {
  type CallArgs,
  fillTransaction,
  parseTransactionArgs,
  prepareTransaction,
  type TransactionArgs,
  type TxFillBackend,
} from '../../src/accounts/tx.js'

const key = keccak256(new TextEncoder().encode('sender'))
const from = privateKeyToAddress(key)
const to = Uint8Array.from({ length: 20 }, (_, i) => i + 1)
const gwei = 10n ** 9n
const keySigner: HashSigner = { signHash: async (_a, h) => sign(h, key) }

function backend(o: { baseFee?: bigint | undefined; tip?: bigint; gas?: bigint } = {}) {
  const calls: CallArgs[] = []
  const b: TxFillBackend & { calls: CallArgs[] } = {
    calls,
    nonceAt: async (address, block) => {
      expect(block).toBe('pending')
      expect(address).toEqual(from)
      return 7n
    },
    estimateGas: async (call) => {
      calls.push(call)
      return o.gas ?? 21_000n
    },
    suggestTip: async () => o.tip ?? 2n * gwei,
    baseFee: async () => ('baseFee' in o ? o.baseFee : 10n * gwei),
    chainId: () => 1337n,
  }
  return b
}

async function invalid(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(isAccountsError(e, 'ErrInvalidTransaction'), String(e)).toBe(true)
  return (e as Error).message
}

describe('fillTransaction', () => {
  it('type 2 by default: pending nonce, estimated gas, tip, maxFee = 2·baseFee + tip, chain id', async () => {
    const b = backend()
    const tx = await fillTransaction(b, { from, to, value: 5n })
    expect(tx).toEqual({
      type: 2,
      chainId: 1337n,
      nonce: 7n,
      gasLimit: 21_000n,
      to,
      value: 5n,
      data: new Uint8Array(0),
      maxPriorityFeePerGas: 2n * gwei,
      maxFeePerGas: 22n * gwei,
      accessList: [],
    })
    expect(b.calls).toEqual([
      {
        from,
        to,
        value: 5n,
        data: new Uint8Array(0),
        maxFeePerGas: 22n * gwei,
        maxPriorityFeePerGas: 2n * gwei,
      },
    ])
  })

  it('keeps what is given and asks the backend for nothing it does not need', async () => {
    const b = backend()
    const tx = await fillTransaction(b, {
      from,
      to,
      gas: 50_000n,
      nonce: 1n,
      maxFeePerGas: 30n * gwei,
      maxPriorityFeePerGas: 1n,
      chainId: 1337n,
      input: Uint8Array.of(1, 2),
      data: Uint8Array.of(1, 2),
    })
    expect(tx).toMatchObject({ type: 2, nonce: 1n, gasLimit: 50_000n, maxFeePerGas: 30n * gwei })
    expect(tx.data).toEqual(Uint8Array.of(1, 2))
    expect(b.calls).toEqual([])
  })

  it('a given tip with a missing fee cap: 2·baseFee + that tip', async () => {
    const tx = await fillTransaction(backend(), { from, to, maxPriorityFeePerGas: 3n })
    expect(tx.maxFeePerGas).toBe(20n * gwei + 3n)
  })

  it('legacy when gasPrice is given (type 1 with an access list)', async () => {
    const legacy = await fillTransaction(backend(), { from, to, gasPrice: 5n * gwei })
    expect(legacy).toMatchObject({ type: 0, gasPrice: 5n * gwei, chainId: 1337n })
    expect(legacy.maxFeePerGas).toBeUndefined()
    const accessList = [{ address: to, storageKeys: [new Uint8Array(32)] }]
    const t1 = await fillTransaction(backend(), { from, to, gasPrice: 5n * gwei, accessList })
    expect(t1).toMatchObject({ type: 1, gasPrice: 5n * gwei, accessList })
  })

  it('before London: legacy at the suggested price; 1559 fields refused', async () => {
    const b = backend({ baseFee: undefined, tip: 7n })
    expect(await fillTransaction(b, { from, to })).toMatchObject({ type: 0, gasPrice: 7n })
    expect(await invalid(fillTransaction(b, { from, to, maxFeePerGas: 1n }))).toBe(
      'maxFeePerGas and maxPriorityFeePerGas are not valid before EIP-1559 is active',
    )
  })

  it('go-ethereum’s errors', async () => {
    const b = backend()
    const cases: Array<[TransactionArgs, string]> = [
      [
        { from, to, gasPrice: 1n, maxFeePerGas: 1n },
        'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified',
      ],
      [{ from, to, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, 'maxFeePerGas must be non-zero'],
      [
        { from, to, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n },
        'maxFeePerGas (1) < maxPriorityFeePerGas (2)',
      ],
      [{ from, to, gasPrice: 0n }, 'gasPrice must be non-zero after EIP-1559 fork'],
      [
        { from, to, input: Uint8Array.of(1), data: Uint8Array.of(2) },
        'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
      ],
      [{ from }, 'contract creation without any data provided'],
      [{ from, to, chainId: 1n }, "chainId does not match node's (have=1, want=1337)"],
      [{ to }, 'from address not specified'],
      [
        { from, to, gas: 10n ** 7n, gasPrice: 10n ** 12n },
        'tx fee (10.00 ether) exceeds the configured cap (1.00 ether)',
      ],
    ]
    for (const [args, message] of cases)
      expect(await invalid(fillTransaction(b, args))).toBe(message)
    // the cap can be lifted
    await fillTransaction(
      b,
      { from, to, gas: 10n ** 7n, gasPrice: 10n ** 12n },
      { txFeeCapWei: 0n },
    )
  })

  it('eth_signTransaction mode needs gas, a fee and the nonce', async () => {
    const b = backend()
    const full = { from, to, gas: 21_000n, nonce: 0n, gasPrice: gwei }
    await fillTransaction(b, full, { mode: 'sign' })
    expect(await invalid(fillTransaction(b, { ...full, gas: undefined }, { mode: 'sign' }))).toBe(
      'gas not specified',
    )
    expect(
      await invalid(fillTransaction(b, { ...full, gasPrice: undefined }, { mode: 'sign' })),
    ).toBe('missing gasPrice or maxFeePerGas/maxPriorityFeePerGas')
    expect(await invalid(fillTransaction(b, { ...full, nonce: undefined }, { mode: 'sign' }))).toBe(
      'nonce not specified',
    )
  })
})

describe('prepareTransaction: signed transactions rlp-wire decodes, sender recovers', () => {
  const shapes: Array<[string, TransactionArgs]> = [
    ['type 2', { from, to, value: 1n, input: Uint8Array.of(0xca, 0xfe) }],
    ['legacy (EIP-155)', { from, to, gasPrice: 3n * gwei }],
    [
      'type 1',
      {
        from,
        to,
        gasPrice: 3n * gwei,
        accessList: [{ address: to, storageKeys: [new Uint8Array(32)] }],
      },
    ],
    ['contract creation', { from, input: Uint8Array.of(0x60, 0x00) }],
  ]
  for (const [name, args] of shapes) {
    it(name, async () => {
      const { tx, raw } = await prepareTransaction({ signer: keySigner, backend: backend() }, args)
      const decoded = Transaction.decode(raw)
      expect(decoded.hash).toEqual(tx.hash)
      expect(recoverAddress(decoded.sigHash(), decoded.r, decoded.s, decoded.recovery)).toEqual(
        from,
      )
      expect(decoded.chainId).toBe(1337n)
      if (decoded.type === 0)
        expect(decoded.v === 35n + 2n * 1337n || decoded.v === 36n + 2n * 1337n).toBe(true)
      const viemSender = await recoverTransactionAddress({
        serializedTransaction: bytesToHex(raw) as Parameters<
          typeof recoverTransactionAddress
        >[0]['serializedTransaction'],
      })
      expect(viemSender.toLowerCase()).toBe(bytesToHex(from))
    })
  }
})

describe('through the AccountManager', () => {
  let dir: string
  let am: AccountManager
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ethwire-tx-'))
    am = createAccountManager({ clock: new FakeClock() }, { keystoreDir: dir, kdf: 'light' })
    await am.importKey(key, 'pw')
  })
  afterAll(async () => {
    await am.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('locked: ErrLocked; unlocked or with a password: signed', async () => {
    const deps = { signer: am, backend: backend() }
    const e = await prepareTransaction(deps, { from, to }).catch((err: unknown) => err)
    expect(isAccountsError(e, 'ErrLocked')).toBe(true)
    const withPw = await prepareTransaction(deps, { from, to }, { password: 'pw' })
    expect(
      recoverAddress(withPw.tx.sigHash(), withPw.tx.r, withPw.tx.s, withPw.tx.recovery),
    ).toEqual(from)
    await am.unlock(from, 'pw')
    const { raw } = await prepareTransaction(deps, { from, to })
    expect(Transaction.decode(raw).type).toBe(2)
  })
})

describe('parseTransactionArgs', () => {
  it('decodes the JSON-RPC object', () => {
    const args = parseTransactionArgs({
      from: bytesToHex(from),
      to: '0x0102030405060708090a0b0c0d0e0f1011121314',
      gas: '0x5208',
      maxFeePerGas: '0x3b9aca00',
      maxPriorityFeePerGas: '0x1',
      value: '0xde0b6b3a7640000',
      nonce: '0x0',
      input: '0xcafe',
      chainId: '0x539',
      accessList: [{ address: bytesToHex(to), storageKeys: [`0x${'00'.repeat(32)}`] }],
    })
    expect(args).toEqual({
      from,
      to,
      gas: 21_000n,
      maxFeePerGas: gwei,
      maxPriorityFeePerGas: 1n,
      value: 10n ** 18n,
      nonce: 0n,
      input: Uint8Array.of(0xca, 0xfe),
      chainId: 1337n,
      accessList: [{ address: to, storageKeys: [new Uint8Array(32)] }],
    })
    expect(parseTransactionArgs({ from: bytesToHex(from), to: null }).to).toBeNull()
  })

  it('refuses malformed fields with ErrInvalidTransaction', () => {
    for (const bad of [
      null,
      [],
      { from: '0x1234' },
      { from: bytesToHex(from).slice(2) },
      { gas: 21000 },
      { gas: '21000' },
      { value: `0x1${'0'.repeat(64)}` },
      { input: '0xabc' },
      { accessList: {} },
      { accessList: [{ address: bytesToHex(to), storageKeys: ['0x00'] }] },
    ]) {
      let err: unknown
      try {
        parseTransactionArgs(bad)
      } catch (e) {
        err = e
      }
      expect(isAccountsError(err, 'ErrInvalidTransaction'), JSON.stringify(bad)).toBe(true)
    }
  })
})
