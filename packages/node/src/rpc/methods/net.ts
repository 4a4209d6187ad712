/** `net_*`: network id, listening, peer count. */
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { qty } from '../params.js'

export function netMethods(b: Backend): RpcMethods {
  return {
    net_version: () => b.networkId.toString(),
    net_listening: () => b.running,
    net_peerCount: () => qty(b.peerCount()),
  }
}
