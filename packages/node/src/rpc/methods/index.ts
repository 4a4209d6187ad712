/** Every namespace's methods over one backend. */
import type { Backend } from '../backend.js'
import type { RpcMethods } from '../dispatch.js'
import { createFilters, type FiltersOptions } from '../filters.js'
import { adminMethods } from './admin.js'
import { capabilitiesMethods } from './capabilities.js'
import { configMethods } from './config.js'
import { debugMethods } from './debug.js'
import { ethMethods } from './eth.js'
import { feeMethods } from './fees.js'
import { logMethods } from './logs.js'
import { netMethods } from './net.js'
import { stateMethods } from './state.js'
import { txpoolMethods } from './txpool.js'
import { web3Methods } from './web3.js'

/**
 * The method table of a backend. A node (`{ backend }`) is taken too, so `createRpcMethods(node)`
 * works as before the backend existed.
 */
export function createRpcMethods(
  source: Backend | { readonly backend: Backend },
  options: { filters?: FiltersOptions } = {},
): RpcMethods {
  const b = 'backend' in source ? source.backend : source
  return {
    ...createFilters({ backend: b }, options.filters).methods,
    ...web3Methods(b),
    ...netMethods(b),
    ...ethMethods(b),
    ...feeMethods(b),
    ...configMethods(b),
    ...capabilitiesMethods(b),
    ...logMethods(b),
    ...stateMethods(b),
    ...txpoolMethods(b),
    ...adminMethods(b),
    ...debugMethods(b),
  }
}
