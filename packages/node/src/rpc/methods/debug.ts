/** `debug_*`: wire statistics (what the benches and e2e tests read). */
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'

export function debugMethods(b: Backend): RpcMethods {
  return {
    debug_wireStats: () => b.wireStats(),
  }
}
