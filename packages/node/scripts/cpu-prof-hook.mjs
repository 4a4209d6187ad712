// Preloaded into the node under test by `load-test -- --cpu-prof <dir>` (NODE_OPTIONS refuses
// --cpu-prof itself): starts the V8 profiler and writes <dir>/node-<pid>.cpuprofile at exit.

import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'

const dir = process.env.ETHWIRE_CPU_PROF_DIR
if (dir) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  process.on('exit', () => {
    // the main thread's session answers synchronously
    session.post('Profiler.stop', (err, res) => {
      if (err) return
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, `node-${process.pid}.cpuprofile`), JSON.stringify(res.profile))
    })
  })
}
