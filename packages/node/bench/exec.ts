/**
 * `pnpm --filter @ethwire/node bench -- exec`: import with execution (@ethwire/chain +
 * @ethwire/executor + @ethwire/state on LevelDB) against @ethereumjs/vm's runBlock, chains (a) and
 * (b). The bench lives with the executor (packages/executor/bench/exec.ts); this is the node's entry.
 */
export { runExecBench } from '../../executor/bench/exec.js'
