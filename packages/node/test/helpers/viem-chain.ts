import { type Chain, defineChain } from 'viem'

/** viem's description of a `--dev` node (chain id 1337); the URL is given per transport. */
export const devChain: Chain = defineChain({
  id: 1337,
  name: 'ethwire dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1'] } },
})
