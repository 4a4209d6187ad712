/** A clique dev genesis (the `--dev` default): one signer, London + Shanghai-free, funded signer. */
import { bytesToHex, concatBytes } from '@ethwire/rlp-wire'
import { cliqueSealBytes, cliqueVanityBytes } from './constants.js'
import type { GenesisJson } from './genesis.js'

export interface DevGenesisOptions {
  signer: Uint8Array
  periodSeconds?: number
  chainId?: number
  /** Genesis timestamp (seconds); default 0. */
  timestamp?: number
  /** Wei given to the signer; default 10^24. */
  balanceWei?: bigint
}

export function devGenesis(o: DevGenesisOptions): GenesisJson {
  const extra = concatBytes(
    new Uint8Array(cliqueVanityBytes),
    o.signer,
    new Uint8Array(cliqueSealBytes),
  )
  return {
    config: {
      chainId: o.chainId ?? 1337,
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
      clique: { period: o.periodSeconds ?? 1, epoch: 30000 },
    },
    nonce: '0x0',
    timestamp: `0x${(o.timestamp ?? 0).toString(16)}`,
    extraData: bytesToHex(extra),
    gasLimit: '0x1c9c380',
    difficulty: '0x1',
    alloc: {
      [bytesToHex(o.signer)]: { balance: `0x${(o.balanceWei ?? 10n ** 24n).toString(16)}` },
    },
  }
}
