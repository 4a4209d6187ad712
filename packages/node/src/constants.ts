/** Defaults and limits of the ethwire node. */

/** libp2p TCP port (`--port`). */
export const defaultLibp2pPort = 30313
/** RLPx TCP port shown in help; RLPx is off unless `--rlpx.port` is given. */
export const defaultRlpxPort = 30303
export const defaultHttpPort = 8545
export const defaultHttpHost = '127.0.0.1'
/** Address both transports listen on (`--addr`). */
export const defaultListenHost = '127.0.0.1'
export const defaultMaxPeers = 50
/**
 * libp2p connections allowed above `--maxpeers` (libp2p's `maxConnections` is maxpeers plus this):
 * room for connections that never open an eth stream (identify, ping) and for ones our own peer
 * limit refuses with TooManyPeers, so that the eth peer limit, not libp2p's, is what peers meet.
 */
export const libp2pConnectionHeadroom = 32
export const defaultDevPeriodSeconds = 2
/** Miner: the block gas limit it moves toward (`--miner.gaslimit`; the dev genesis has this one). */
export const defaultMinerGasLimit = 30_000_000n
/** Miner: go-ethereum's `params.MinGasLimit`. */
export const minGasLimit = 5_000n
/** Miner: most extra-data bytes (`--miner.extradata`; go-ethereum's `MaximumExtraDataSize`). */
export const maxExtraDataBytes = 32
export const defaultDevChainId = 1337
/** Syncer: forced sync interval (`--syncinterval`). */
export const defaultSyncIntervalMs = 10_000
/** Syncer: peers needed before an arriving peer triggers a sync (`--minsyncpeers`). */
export const defaultMinSyncPeers = 5
/** Worker threads for sender recovery of peers' transactions. */
export const defaultRecoveryWorkers = 1
/**
 * How long closing the trie-root worker lets it finish the list it is on and exit by itself before
 * it is terminated.
 */
export const rootPoolCloseGraceMs = 2_000
/**
 * State database cache (decoded trie nodes and code), bytes. 16 MiB: on the exec bench's chain (b)
 * (10,000 accounts) 64 MiB ran no faster and held ~90 MB more RSS (the decoded-node estimate is low).
 */
export const stateCacheBytes = 16 * 1024 * 1024
/** Gas price oracle (go-ethereum's full-node defaults): blocks looked at, samples each, percentile. */
export const gpoBlocks = 20
export const gpoSamplesPerBlock = 3
export const gpoPercentile = 60
/** Tips under this are not samples (go-ethereum's `DefaultIgnorePrice`, 2 wei). */
export const gpoIgnoreUnderWei = 2n
/** The highest tip suggested (go-ethereum's `DefaultMaxPrice`, 500 gwei). */
export const gpoMaxPriceWei = 500_000_000_000n
/** The tip suggested before any block had a sample: 1 gwei. */
export const gpoDefaultTipWei = 1_000_000_000n
/** The status log line interval. */
export const logIntervalMs = 8_000
/** `ethwire import`: blocks per database write (`--import.batch`). */
export const defaultImportBatchBlocks = 256
/** Import progress log interval (`ethwire import`). */
export const importLogIntervalMs = 2_000
/** JSON-RPC: largest request body accepted. */
export const rpcMaxBodyBytes = 5 * 1024 * 1024
/** JSON-RPC: most calls in one batch. */
export const rpcMaxBatchItems = 100
/** JSON-RPC: an HTTP request must arrive whole (head and body) within this time of its first byte. */
export const rpcRequestTimeoutMs = 30_000
/** JSON-RPC over HTTP: the request line and headers must arrive within this time of their first byte (slowloris). */
export const rpcHeadersTimeoutMs = 10_000
/** JSON-RPC over HTTP: an idle keep-alive connection is closed after this (advertised as `Keep-Alive: timeout=5`). */
export const rpcKeepAliveTimeoutMs = 5_000
/** JSON-RPC over HTTP: largest request line + header section (431 past it), and largest trailer section. */
export const rpcMaxHeadBytes = 16 * 1024
/** JSON-RPC over HTTP: most open connections; the server closes more at once. */
export const rpcMaxConnections = 1_024
/** JSON-RPC over HTTP: most pipelined requests answered from a connection's input before other connections get a turn. */
export const rpcMaxPipelined = 16
/** Redial of a bootnode / added peer: first wait, doubling up to the max. */
export const redialInitialMs = 1_000
export const redialMaxMs = 30_000
/** A connection that lasted this long resets the redial backoff. */
export const redialResetAfterMs = 30_000
/** Stop: how long to wait for peer handlers to end after the transports closed. */
export const handlerDrainMs = 2_000
/** Dial timeout for bootnodes and admin_addPeer. */
export const dialTimeoutMs = 10_000
/** `ethwire devchain`: blocks sealed per database write. */
export const devchainBatchBlocks = 512
/** Mined transaction index (eth_getTransactionByHash): most recent canonical txs remembered. */
export const minedTxIndexEntries = 100_000
/** … and the blocks read into that index at start (the most recent canonical ones). */
export const minedTxStartupBlocks = 128
/** Stop: how long to wait for the node to stop before a forced exit (CLI). */
export const stopTimeoutMs = 15_000
export const clientName = 'ethwire'
/** File names inside the data directory. */
export const chaindataDirName = 'chaindata'
export const genesisFileName = 'genesis.json'
export const devKeyFileName = 'dev-signer-key'
export const txJournalFileName = 'transactions.rlp'
/** The discv4 table (`discv4-nodes.json`) lives in this folder of the datadir (go-ethereum: `nodes`). */
export const discoveryDirName = 'nodes'

/** Default WebSocket JSON-RPC listen address (go-ethereum's `--ws.addr`). */
export const defaultWsHost = '127.0.0.1'
/** Default WebSocket JSON-RPC port (go-ethereum's `--ws.port`). */
export const defaultWsPort = 8546
/** Largest WebSocket message accepted (go-ethereum's `wsDefaultReadLimit` is 32 MiB; we keep the HTTP 5 MiB). */
export const wsMaxMessageBytes = rpcMaxBodyBytes
/**
 * Bytes a WebSocket connection may have waiting to be sent; past this the client is not reading
 * and is cut off (closed with 1008) instead of the queue growing.
 */
export const wsMaxSendQueueBytes = 16 * 1024 * 1024
/** How long a cut-off client has to take the close frame before its socket is destroyed. */
export const wsCloseGraceMs = 5_000
/** go-ethereum's default `--http.vhosts`. */
export const defaultHttpVhosts = ['localhost']
