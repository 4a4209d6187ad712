/** `web3_*`: client version and keccak. */
import { bytesToHex, keccak256 } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { dataParam } from '../params.js'

export function web3Methods(b: Backend): RpcMethods {
  return {
    web3_clientVersion: () => b.clientVersion,
    web3_sha3: (params) => bytesToHex(keccak256(dataParam(params, 0))),
  }
}
