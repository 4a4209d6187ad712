/**
 * Defaults and limits. Units are in the names. Where go-ethereum has the same constant
 * (`p2p/discover`, `p2p/enr`, `p2p/dnsdisc`) the value is the same unless a comment says why not.
 */

// ---------------------------------------------------------------------------------------------
// Wire (discv4, EIP-8, EIP-868)

/** Largest discv4 packet we send or accept (the spec's limit; bigger datagrams are dropped). */
export const maxPacketSizeBytes = 1280
/** hash(32) || signature(65): the part before the packet type. */
export const packetHeadSizeBytes = 32 + 65
/** The `Version` we put in Ping. */
export const discv4Version = 4
/** How far ahead the `expiration` of every packet we send is set. */
export const packetExpirationMs = 20_000
/** Nodes per Neighbors packet, so a packet with 16-byte IPs stays under 1280 bytes. */
export const maxNeighborsPerPacket = 12

// ---------------------------------------------------------------------------------------------
// Requests and the endpoint proof

/** How long we wait for a reply (Pong, Neighbors, ENRResponse) to one request. */
export const responseTimeoutMs = 500
/** How long a Pong (their answer to our Ping) proves their endpoint: the amplification guard. */
export const bondExpirationMs = 24 * 60 * 60_000
/** Consecutive FindNode failures after which we re-bond, and (with a full enough bucket) drop. */
export const maxFindnodeFailures = 5
/** Upper bound of the endpoint-proof records (id + IP) kept in memory; the oldest go first. */
export const maxBondRecords = 8192
/** Requests waiting for a reply at one time; more are refused with `ErrTooManyRequests`. */
export const maxPendingRequests = 4096

// ---------------------------------------------------------------------------------------------
// Kademlia table (go-ethereum's layout)

/** Lookup concurrency (α). */
export const lookupConcurrency = 3
/** Nodes per bucket (k), and results of a lookup and of a FindNode. */
export const bucketSize = 16
/** Replacement candidates kept per bucket. */
export const maxReplacements = 10
/** Buckets: the upper 1/15 of the 256 log distances; closer nodes all share bucket 0. */
export const bucketCount = 17
/** Log distance of the closest bucket: distances ≤ 239 go to bucket 0. */
export const bucketMinDistance = 256 - bucketCount
/** At most this many addresses of one /24 (IPv4) or /24 prefix (IPv6) in one bucket. */
export const bucketIpLimit = 2
/** At most this many addresses of one /24 in the whole table. */
export const tableIpLimit = 10
/** Prefix length (bits) of the networks the IP limits count. */
export const ipLimitSubnetBits = 24
/** Mean interval of liveness checks on the fast list (new or failing nodes). */
export const revalidationIntervalMs = 3_000
/** The slow list (nodes that answered) is checked this many times less often. */
export const slowRevalidationFactor = 3
/** Interval of the table refresh (a self lookup and three random lookups): random in [½, 1]×. */
export const refreshIntervalMs = 30 * 60_000
/** Known nodes put into the table at start and refresh. */
export const seedCount = 30
/** A persisted node older than this (since its last Pong) is not used as a seed. */
export const seedMaxAgeMs = 5 * 24 * 60 * 60_000
/** Nodes written to the data directory at most. */
export const maxPersistedNodes = 1000
/** How often the table is written to the data directory while running (and once at stop). */
export const persistIntervalMs = 5 * 60_000
/** File name of the persisted table in the data directory. */
export const nodesFileName = 'discv4-nodes.json'
/** Minimum pause between two lookups of one `randomNodes()` walk. */
export const randomWalkMinIntervalMs = 1_000
/** ENR requests in flight at once for `randomNodes()` (go-ethereum's maxParallelENRRequests). */
export const maxParallelEnrRequests = 16
/** Nodes a `randomNodes()` iterator has resolved and filtered ahead of its reader. */
export const randomNodesBufferSize = 32
/** Distinct nodes `randomNodes()` remembers so it does not hand the same node out twice in a row. */
export const randomNodesRecentSize = 256
/** UDP ports at or below this are refused in Neighbors (go-ethereum's errLowPort). */
export const minNodePort = 1024

// ---------------------------------------------------------------------------------------------
// ENR (EIP-778)

/** Largest encoded node record. */
export const maxEnrSizeBytes = 300

// ---------------------------------------------------------------------------------------------
// DNS discovery (EIP-1459)

/** Timeout of one DNS TXT lookup. */
export const dnsTimeoutMs = 5_000
/** How often a tree's root is checked for a new sequence number. */
export const dnsRecheckIntervalMs = 30 * 60_000
/** Tree entries cached (branch, ENR and link records), least recently used dropped first. */
export const dnsCacheEntries = 1000
/** DNS lookups per second at most (token bucket refill rate). */
export const dnsRateLimitPerSecond = 3
/** Burst of the DNS rate limit. */
export const dnsRateBurst = 10
/** Leaf failures after which the root is re-checked early. */
export const dnsRootRecheckFailCount = 5
/** Children per branch record we build (keeps a TXT record under 512-byte DNS packets). */
export const dnsMaxBranchChildren = 13
/** Shortest hash (decoded bytes) a branch may name. */
export const dnsMinHashBytes = 12
/** Longest TXT answer (all strings of one record joined) we accept. */
export const dnsMaxTxtBytes = 4096
