/**
 * The Solidity contract of the client-library tests (`test/fixtures/solidity/Counter.sol`) and its
 * build.
 *
 * The artifact (ABI, init code, runtime code) is committed beside the source as `Counter.json`
 * instead of being compiled by every test file: loading solc-js and compiling takes about 4 s on a
 * loaded 2-core machine, and three test files use the contract. `solidity-artifact.test.ts`
 * compiles the source with the pinned solc (a devDependency) and checks the committed artifact is
 * byte for byte what it produces, so the two cannot drift. After editing the source, rewrite the
 * artifact from this folder's package with
 * `node --import tsx test/helpers/solidity.ts --write`.
 *
 * Settings: evmVersion london (the `--dev` chain's last fork, so no PUSH0 from Shanghai), the
 * optimizer on (200 runs).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Abi, Hex } from 'viem'

export const solidityDir = join(import.meta.dirname, '..', 'fixtures', 'solidity')
export const counterSource = join(solidityDir, 'Counter.sol')
export const counterArtifactPath = join(solidityDir, 'Counter.json')

export interface Artifact {
  contractName: string
  compiler: string
  evmVersion: string
  abi: Abi
  /** Init code (constructor arguments are appended by the deployer). */
  bytecode: Hex
  deployedBytecode: Hex
}

export const evmVersion = 'london'

/** Compiles Counter.sol with the installed solc (a few seconds). */
export function compileCounter(): Artifact {
  const require = createRequire(import.meta.url)
  const solc = require('solc') as { compile(input: string): string; version(): string }
  const input = {
    language: 'Solidity',
    sources: { 'Counter.sol': { content: readFileSync(counterSource, 'utf8') } },
    settings: {
      evmVersion,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: {
        '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<
      string,
      Record<
        string,
        { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
      >
    >
  }
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'))
  const c = out.contracts['Counter.sol']?.Counter
  if (!c) throw new Error('solc produced no Counter')
  return {
    contractName: 'Counter',
    compiler: `solc ${solc.version()}`,
    evmVersion,
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
  }
}

/** The committed artifact. */
export function counterArtifact(): Artifact {
  return JSON.parse(readFileSync(counterArtifactPath, 'utf8')) as Artifact
}

if (process.argv.includes('--write') && process.argv[1]?.endsWith('solidity.ts')) {
  writeFileSync(counterArtifactPath, `${JSON.stringify(compileCounter(), null, 2)}\n`)
  console.log('wrote', counterArtifactPath)
}
