/**
 * A hand-assembled test contract (no compiler): the constructor stores 0x2a in slot 0 and returns
 * the runtime. The runtime, called
 * - with no calldata: returns slot 0 (one word);
 * - with the word 0xdead: reverts with Solidity's `Error("nope")`;
 * - with any other word w: stores w in slot 1 and emits LOG1(topic 0x77, data w).
 */

const OP = {
  STOP: 0x00,
  EQ: 0x14,
  ISZERO: 0x15,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CODECOPY: 0x39,
  MSTORE: 0x52,
  SLOAD: 0x54,
  SSTORE: 0x55,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  PUSH1: 0x60,
  PUSH2: 0x61,
  PUSH4: 0x63,
  LOG1: 0xa1,
  RETURN: 0xf3,
  REVERT: 0xfd,
} as const

type Item = number | { label: string } | { at: string }

/** Assembles bytes and `{ at: name }` two-byte label references (PUSH2 is emitted before them). */
function assemble(items: Item[]): Uint8Array {
  const labels = new Map<string, number>()
  let pc = 0
  for (const it of items) {
    if (typeof it === 'number') pc += 1
    else if ('label' in it) labels.set(it.label, pc)
    else pc += 3
  }
  const out: number[] = []
  for (const it of items) {
    if (typeof it === 'number') out.push(it)
    else if ('at' in it) {
      const to = labels.get(it.at)
      if (to === undefined) throw new Error(`no label ${it.at}`)
      out.push(OP.PUSH2, to >> 8, to & 0xff)
    }
  }
  return Uint8Array.from(out)
}

const word = (bytes: number[]) => [0x7f, ...new Array(32 - bytes.length).fill(0), ...bytes]

export const runtime = assemble([
  OP.CALLDATASIZE,
  OP.ISZERO,
  { at: 'get' },
  OP.JUMPI,
  OP.PUSH1,
  0,
  OP.CALLDATALOAD,
  OP.PUSH2,
  0xde,
  0xad,
  OP.EQ,
  { at: 'fail' },
  OP.JUMPI,
  // slot 1 = w; LOG1(0, 32, 0x77) with memory[0..32] = w
  OP.PUSH1,
  0,
  OP.CALLDATALOAD,
  OP.PUSH1,
  1,
  OP.SSTORE,
  OP.PUSH1,
  0,
  OP.CALLDATALOAD,
  OP.PUSH1,
  0,
  OP.MSTORE,
  OP.PUSH1,
  0x77,
  OP.PUSH1,
  0x20,
  OP.PUSH1,
  0,
  OP.LOG1,
  OP.STOP,
  { label: 'get' },
  OP.JUMPDEST,
  OP.PUSH1,
  0,
  OP.SLOAD,
  OP.PUSH1,
  0,
  OP.MSTORE,
  OP.PUSH1,
  0x20,
  OP.PUSH1,
  0,
  OP.RETURN,
  { label: 'fail' },
  OP.JUMPDEST,
  // Error(string): selector, offset 0x20, length 4, "nope"
  ...word([0x08, 0xc3, 0x79, 0xa0, ...new Array(28).fill(0)]),
  OP.PUSH1,
  0,
  OP.MSTORE,
  OP.PUSH1,
  0x20,
  OP.PUSH1,
  4,
  OP.MSTORE,
  OP.PUSH1,
  4,
  OP.PUSH1,
  36,
  OP.MSTORE,
  ...word([0x6e, 0x6f, 0x70, 0x65, ...new Array(28).fill(0)]),
  OP.PUSH1,
  68,
  OP.MSTORE,
  OP.PUSH1,
  100,
  OP.PUSH1,
  0,
  OP.REVERT,
])

/** Init code: slot 0 = 0x2a, then return the runtime (copied from after the init code). */
export const initCode = (() => {
  const initLength = 17
  const prefix = [
    OP.PUSH1,
    0x2a,
    OP.PUSH1,
    0,
    OP.SSTORE,
    OP.PUSH1,
    runtime.length,
    OP.PUSH1,
    initLength,
    OP.PUSH1,
    0,
    OP.CODECOPY,
    OP.PUSH1,
    runtime.length,
    OP.PUSH1,
    0,
    OP.RETURN,
  ]
  if (prefix.length !== initLength) throw new Error(`init code is ${prefix.length} bytes`)
  if (runtime.length > 255) throw new Error('runtime too long for PUSH1')
  return Uint8Array.from([...prefix, ...runtime])
})()

/** A 32-byte big-endian word. */
export function wordOf(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0 && n > 0n; i--) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}
