/** `admin_*`: node info, peers, adding a peer. */
import { bytesToHex } from '@ethwire/rlp-wire'
import { isNodeError } from '../../errors.js'
import type { Backend, BackendPeerInfo } from '../backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../dispatch.js'
import { invalid, param, qty } from '../params.js'

function peerInfoJson(p: BackendPeerInfo) {
  const inbound = !!p.inbound
  return {
    id: p.id,
    name: '',
    ...(p.transport === 'rlpx' ? { enode: p.remoteAddress } : {}),
    network: {
      remoteAddress: p.remoteAddress,
      inbound,
      // go-ethereum's: a static peer is one we keep connected; `trusted` is not modelled
      static: p.howFound === 'static',
      trusted: false,
      transport: p.transport,
      howFound: p.howFound ?? (inbound ? 'inbound' : 'static'),
    },
    protocols: {
      eth: {
        version: p.version,
        head: p.head,
        ...(p.td !== undefined ? { difficulty: p.td.toString() } : {}),
        ...(p.earliest !== undefined ? { earliestBlock: qty(p.earliest) } : {}),
        ...(p.latest !== undefined ? { latestBlock: qty(p.latest) } : {}),
      },
    },
  }
}

export function adminMethods(b: Backend): RpcMethods {
  return {
    admin_nodeInfo: () => {
      const head = b.currentHeader()
      const info = b.nodeInfo()
      const listenAddrs = info.multiaddrs
      return {
        id: info.peerId,
        name: b.clientVersion,
        enode: info.enode ?? null,
        ...(info.enr !== undefined ? { enr: info.enr } : {}),
        nodeId: info.nodeId ?? null,
        ip: info.listenHost,
        listenAddr: listenAddrs[0] ?? null,
        listenAddrs,
        ports: {
          discovery: info.discoveryPort ?? 0,
          listener: info.enode ? Number(/:(\d+)(\?|$)/.exec(info.enode)?.[1] ?? 0) : 0,
          libp2p: Number(/\/tcp\/(\d+)/.exec(listenAddrs[0] ?? '')?.[1] ?? 0),
        },
        protocols: {
          eth: {
            network: Number(b.networkId),
            difficulty: b.currentTd().toString(),
            genesis: bytesToHex(b.genesisHash),
            config: b.chainConfig,
            head: bytesToHex(head.hash),
            headNumber: qty(head.number),
          },
        },
      }
    },
    admin_peers: () => b.peerInfos().map(peerInfoJson),
    admin_addPeer: async (params) => {
      const url = param(params, 0, 'url')
      if (typeof url !== 'string') invalid('invalid argument 0: string expected')
      try {
        await b.addPeer(url)
        return true
      } catch (err) {
        if (isNodeError(err, 'ErrBadPeerAddress')) invalid(err.message)
        const why = err instanceof Error ? err.message : String(err)
        throw new RpcError(RpcErrorCode.Server, `dial failed: ${why}`)
      }
    },
  }
}
