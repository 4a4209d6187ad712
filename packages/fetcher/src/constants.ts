/** Block fetcher: how long to wait for the whole block (NewBlock) to arrive before fetching its header. */
export const arriveTimeoutMs = 500
/** Block fetcher: window in which announcements are bundled into one request. */
export const gatherSlackMs = 100
/** Block fetcher: how long a header or body request may take before another announcer is asked. */
export const fetchTimeoutMs = 5_000
/** Block fetcher: announcements in flight per peer (DoS limit). */
export const hashLimit = 256
/** Block fetcher: whole blocks queued for import per peer (DoS limit). */
export const blockLimit = 64
/** Block fetcher: blocks more than this many below our head are discarded. */
export const maxUncleDist = 7n
/** Block fetcher: blocks more than this many above our head are discarded. */
export const maxQueueDist = 32n

/** Tx fetcher: wait after the first announcement before fetching (lets broadcasts arrive). */
export const txArriveTimeoutMs = 500
/** Tx fetcher: how long a GetPooledTransactions request may take. */
export const txFetchTimeoutMs = 5_000
/** Tx fetcher: hashes per GetPooledTransactions request. */
export const maxTxRetrievals = 256
/** Tx fetcher: announced bytes per GetPooledTransactions request (eth/68 sizes). */
export const maxTxRetrievalSizeBytes = 128 * 1024
/** Tx fetcher: announcements tracked per peer (waiting or in flight). */
export const maxTxAnnounces = 4096
/** Tx fetcher: bytes a delivery may differ from its announced size without a penalty (go-ethereum's slack). */
export const txSizeSlackBytes = 8
