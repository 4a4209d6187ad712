/**
 * The committed Solidity artifact (test/fixtures/solidity/Counter.json, used by the client-library
 * tests) is what the pinned solc makes of Counter.sol: recompiled here and compared byte for byte
 * (see test/helpers/solidity.ts for why the artifact is committed).
 */
import { expect, it } from 'vitest'
import { compileCounter, counterArtifact } from './helpers/solidity.js'

it('Counter.json is solc 0.8.37 (london) output of Counter.sol', () => {
  const fresh = compileCounter()
  const committed = counterArtifact()
  expect(committed.compiler).toBe(fresh.compiler)
  expect(committed.abi).toEqual(fresh.abi)
  expect(committed.bytecode).toBe(fresh.bytecode)
  expect(committed.deployedBytecode).toBe(fresh.deployedBytecode)
  // london: no PUSH0 (0x5f) anywhere in the runtime's instructions (PUSH data skipped; the CBOR
  // metadata at the end, its length in the last two bytes, is not code)
  const code = Buffer.from(fresh.deployedBytecode.slice(2), 'hex')
  const end = code.length - 2 - code.readUInt16BE(code.length - 2)
  const ops: number[] = []
  for (let i = 0; i < end; i++) {
    const op = code[i]!
    ops.push(op)
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f
  }
  expect(ops.length).toBeGreaterThan(100)
  expect(ops).not.toContain(0x5f)
}, 60_000)
