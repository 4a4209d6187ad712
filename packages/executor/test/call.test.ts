// eth_call / eth_estimateGas over a block's state: a contract deployed by a built block, a view,
// a revert with its reason, nothing committed, state and block overrides, and gas estimates that
// go-ethereum would give (21,000 for a plain transfer; enough, and close to the minimum, for SSTORE).
import { genesisHeader } from '@ethwire/chain'
import { privateKeyToAddress } from '@ethwire/crypto'
import { type BlockHeader, bytesToHex, keccak256, rlpEncode } from '@ethwire/rlp-wire'
import { createStateDatabase } from '@ethwire/state'
import { MemoryKeyValueStore } from '@ethwire/state/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { createExecutor, type Executor, isExecutorError, revertReason } from '../src/index.js'
import { signTransaction } from '../src/testing.js'
import { checksummed } from '../src/transition.js'

const key = new Uint8Array(32).fill(7)
const alice = privateKeyToAddress(key)
const config = {
  chainId: 1337,
  homesteadBlock: 0,
  eip150Block: 0,
  eip155Block: 0,
  eip158Block: 0,
  byzantiumBlock: 0,
  constantinopleBlock: 0,
  petersburgBlock: 0,
  istanbulBlock: 0,
  berlinBlock: 0,
  londonBlock: 0,
  shanghaiTime: 0,
  cancunTime: 0,
  terminalTotalDifficulty: 0,
}
const genesis = {
  config,
  gasLimit: '0x1c9c380',
  difficulty: '0x0',
  alloc: { [bytesToHex(alice)]: { balance: '0xde0b6b3a7640000' } },
}

// A tiny contract, assembled here. No calldata: returns storage slot 0. First byte 0xff: reverts
// with Error("no"). Otherwise: stores the first calldata word in slot 0.
function assemble(parts: (number | string)[]): Uint8Array {
  const labels = new Map<string, number>()
  // A label reference is PUSH1 <pc> (2 bytes); a label definition is a JUMPDEST (1 byte).
  let pc = 0
  for (const p of parts) {
    if (typeof p === 'string' && p.endsWith(':')) labels.set(p.slice(0, -1), pc)
    pc += typeof p === 'string' && !p.endsWith(':') ? 2 : 1
  }
  const out: number[] = []
  for (const p of parts) {
    if (typeof p === 'number') out.push(p)
    else if (p.endsWith(':'))
      out.push(0x5b) // JUMPDEST
    else out.push(0x60, labels.get(p) as number) // PUSH1 label
  }
  return Uint8Array.from(out)
}
const push32 = (b: Uint8Array) => [0x7f, ...Array.from(b)]
const word = (hex: string) => {
  const out = new Uint8Array(32)
  out.set(Buffer.from(hex, 'hex'))
  return out
}
const runtime = assemble([
  0x36,
  0x15,
  'get',
  0x57, // CALLDATASIZE ISZERO PUSH1 get JUMPI
  0x60,
  0x00,
  0x35,
  0x60,
  0xf8,
  0x1c, // first byte of calldata
  0x60,
  0xff,
  0x14,
  'revert',
  0x57, // == 0xff → revert
  0x60,
  0x00,
  0x35,
  0x60,
  0x00,
  0x55,
  0x00, // SSTORE(0, calldata[0..32]) STOP
  'get:',
  0x60,
  0x00,
  0x54,
  0x60,
  0x00,
  0x52,
  0x60,
  0x20,
  0x60,
  0x00,
  0xf3, // return slot 0
  'revert:',
  ...push32(word('08c379a0')),
  0x60,
  0x00,
  0x52,
  0x60,
  0x20,
  0x60,
  0x04,
  0x52,
  0x60,
  0x02,
  0x60,
  0x24,
  0x52,
  ...push32(word('6e6f')),
  0x60,
  0x44,
  0x52,
  0x60,
  0x64,
  0x60,
  0x00,
  0xfd, // REVERT(0, 100)
])
const initcode = Uint8Array.from([
  0x60,
  runtime.length,
  0x60,
  12,
  0x60,
  0x00,
  0x39, // CODECOPY(0, 12, len)
  0x60,
  runtime.length,
  0x60,
  0x00,
  0xf3, // RETURN(0, len)
  ...runtime,
])
expect(initcode[12]).toBe(runtime[0])

let executor: Executor
let head: BlockHeader
let contract: Uint8Array

beforeAll(async () => {
  const store = new MemoryKeyValueStore()
  const state = createStateDatabase({ db: store }, { cacheBytes: 16 << 20 })
  executor = await createExecutor({ state }, { config })
  const g = await executor.genesisState(genesis.alloc)
  store.write(g.ops)
  state.written(g.ops)
  const parent = genesisHeader(genesis, g.root)
  const deploy = signTransaction(
    {
      type: 2,
      chainId: 1337n,
      nonce: 0n,
      maxPriorityFeePerGas: 1n,
      maxFeePerGas: 2_000_000_000n,
      gasLimit: 300_000n,
      to: null,
      value: 0n,
      data: initcode,
      accessList: [],
    },
    key,
  )
  const set = signTransaction(
    {
      type: 2,
      chainId: 1337n,
      nonce: 1n,
      maxPriorityFeePerGas: 1n,
      maxFeePerGas: 2_000_000_000n,
      gasLimit: 100_000n,
      // the created address: keccak(rlp([sender, 0]))[12:]
      to: keccak256(rlpEncode([alice, new Uint8Array(0)])).subarray(12),
      value: 0n,
      data: word('2a'),
      accessList: [],
    },
    key,
  )
  const built = await executor.buildBlock({
    parent,
    header: {
      coinbase: new Uint8Array(20),
      time: 12n,
      gasLimit: 30_000_000n,
      baseFee: 875_000_000n,
      excessBlobGas: 0n,
      parentBeaconRoot: new Uint8Array(32),
    },
    transactions: [
      { tx: deploy, sender: alice },
      { tx: set, sender: alice },
    ],
    withdrawals: [],
  })
  expect(built.skipped).toEqual([])
  expect(built.execution.receipts.map((r) => r.postStateOrStatus[0])).toEqual([1, 1])
  store.write(built.execution.ops)
  state.written(built.execution.ops)
  head = built.block.header
  contract = keccak256(rlpEncode([alice, new Uint8Array(0)])).subarray(12)
})

describe('call', () => {
  it('reads a view on the block state (slot 0 holds 0x2a) and commits nothing', async () => {
    const r = await executor.call({ header: head, to: contract })
    expect(r.success).toBe(true)
    expect(bytesToHex(r.returnData)).toBe(`0x${'2a'.padEnd(64, '0')}`)
    // A call that stores: succeeds, and the stored value is still 0x2a afterwards.
    const w = await executor.call({ header: head, to: contract, data: word('07') })
    expect(w.success).toBe(true)
    const again = await executor.call({ header: head, to: contract })
    expect(bytesToHex(again.returnData)).toBe(`0x${'2a'.padEnd(64, '0')}`)
  })

  it('reportAccessList: the contract with slot 0; the sender alone is left out', async () => {
    const r = await executor.call({
      header: head,
      from: alice,
      to: contract,
      reportAccessList: true,
    })
    expect(r.success).toBe(true)
    expect(
      r.accessList?.map((e) => [bytesToHex(e.address), e.storageKeys.map((k) => bytesToHex(k))]),
    ).toEqual([[bytesToHex(contract), [bytesToHex(new Uint8Array(32))]]])
    // without the flag, no list
    expect((await executor.call({ header: head, to: contract })).accessList).toBeUndefined()
  })

  it('a revert is a result with its data and reason', async () => {
    const r = await executor.call({ header: head, to: contract, data: Uint8Array.of(0xff) })
    expect(r.success).toBe(false)
    expect(r.error).toBe('execution reverted')
    expect(revertReason(r.returnData)).toBe('no')
  })

  it('state overrides replace code, storage and balance for the call only', async () => {
    const other = new Uint8Array(20).fill(0x99)
    const r = await executor.call({
      header: head,
      to: other,
      stateOverrides: new Map([
        [bytesToHex(other), { code: runtime, state: [[new Uint8Array(32), word('05')]] as const }],
      ]),
    })
    expect(bytesToHex(r.returnData)).toBe(`0x${'05'.padEnd(64, '0')}`)
    // A sender without funds, given some by an override, can send value.
    const poor = new Uint8Array(20).fill(0x11)
    const refused = await executor
      .call({ header: head, from: poor, to: contract, value: 1n })
      .catch((e) => e)
    expect(isExecutorError(refused, 'ErrInvalidTx'), String(refused)).toBe(true)
    expect(refused.message).toContain(
      `insufficient funds for gas * price + value: address ${checksummed('11'.repeat(20))} have 0`,
    )
    const paid = await executor.call({
      header: head,
      from: poor,
      to: new Uint8Array(20).fill(0x12),
      value: 1n,
      stateOverrides: new Map([[bytesToHex(poor), { balance: 10n }]]),
    })
    expect(paid.success).toBe(true)
  })

  it('a fee below the base fee is refused; without fees the base fee is not checked', async () => {
    const low = await executor
      .call({ header: head, from: alice, to: contract, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n })
      .catch((e) => e)
    expect(isExecutorError(low, 'ErrInvalidTx')).toBe(true)
    expect(low.message).toContain('max fee per gas less than block base fee')
    expect((await executor.call({ header: head, from: alice, to: contract })).success).toBe(true)
  })

  it("BASEFEE is 0 for a call whose gas price is 0 (go-ethereum's applyMessage), else the block's", async () => {
    // BASEFEE BLOBBASEFEE; returned as two words
    const env = Uint8Array.from([
      0x48, 0x60, 0, 0x52, 0x4a, 0x60, 32, 0x52, 0x60, 64, 0x60, 0, 0xf3,
    ])
    const at = new Uint8Array(20).fill(0x48)
    const run = async (fees: object) => {
      const r = await executor.call({
        header: head,
        from: alice,
        to: at,
        stateOverrides: new Map([[bytesToHex(at), { code: env }]]),
        ...fees,
      })
      const hex = bytesToHex(r.returnData).slice(2)
      return [BigInt(`0x${hex.slice(0, 64)}`), BigInt(`0x${hex.slice(64)}`)]
    }
    const baseFee = head.baseFee as bigint
    expect((await run({}))[0]).toBe(0n)
    expect((await run({ gasPrice: baseFee }))[0]).toBe(baseFee)
    expect((await run({ maxFeePerGas: baseFee * 2n, maxPriorityFeePerGas: 0n }))[0]).toBe(baseFee)
    expect((await run({ blockOverrides: { baseFee: 9n } }))[0]).toBe(0n)
    expect((await run({ gasPrice: 9n, blockOverrides: { baseFee: 9n } }))[0]).toBe(9n)
    // a zero blob fee cap sees BLOBBASEFEE 0; an override shows through otherwise
    expect((await run({ blockOverrides: { blobBaseFee: 5n } }))[1]).toBe(5n)
    expect((await run({ maxFeePerBlobGas: 0n, blockOverrides: { blobBaseFee: 5n } }))[1]).toBe(0n)
  })
})

describe('estimateGas', () => {
  it('a plain transfer is 21,000', async () => {
    expect(
      await executor.estimateGas({
        header: head,
        from: alice,
        to: new Uint8Array(20).fill(3),
        value: 1n,
      }),
    ).toBe(21_000n)
  })

  it('a storing call gets enough gas, within 1.5 % of the least that works', async () => {
    const est = await executor.estimateGas({
      header: head,
      from: alice,
      to: contract,
      data: word('08'),
    })
    expect(
      (await executor.call({ header: head, from: alice, to: contract, data: word('08'), gas: est }))
        .success,
    ).toBe(true)
    const less = (est * 985n) / 1000n
    const r = await executor.call({
      header: head,
      from: alice,
      to: contract,
      data: word('08'),
      gas: less - 1n,
    })
    expect(r.success).toBe(false)
  })

  it('a reverting call throws the revert with its reason; an allowance too small is said so', async () => {
    const err = await executor
      .estimateGas({ header: head, from: alice, to: contract, data: Uint8Array.of(0xff) })
      .catch((e) => e)
    expect(isExecutorError(err, 'ErrExecutionReverted')).toBe(true)
    expect(err.message).toContain('execution reverted: no')
    expect(bytesToHex(err.details.data).slice(0, 10)).toBe('0x08c379a0')
    const tight = await executor
      .estimateGas({ header: head, from: alice, to: contract, data: word('09'), gas: 22_000n })
      .catch((e) => e)
    expect(isExecutorError(tight, 'ErrInvalidTx')).toBe(true)
    expect(tight.message).toContain('gas required exceeds allowance (22000)')
  })
})

describe('error texts', () => {
  it('name the sender as go-ethereum does: 0x and the EIP-55 checksum', () => {
    // EIP-55's own examples
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ])
      expect(checksummed(a.slice(2).toLowerCase())).toBe(a)
  })
})
