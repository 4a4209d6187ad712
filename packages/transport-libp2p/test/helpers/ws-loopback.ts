/**
 * Child process of websockets.test.ts: a WebSockets listener and a WebSockets dialer in one
 * process exchange a message and stop. Nothing may keep the process alive afterwards.
 */
import { createLibp2pTransport } from '../../src/index.js'

const listener = createLibp2pTransport(
  {},
  { transports: ['websockets'], listen: ['/ip4/127.0.0.1/tcp/0/ws'], versions: [68] },
)
const dialer = createLibp2pTransport({}, { transports: ['websockets'], versions: [68] })
const [addr] = await listener.listen()
const accepted = listener.accept(AbortSignal.timeout(10_000))
const out = await dialer.dial(addr!)
const inn = await accepted
await out.writeMsg(0x03, Uint8Array.of(0xc0))
const msg = await inn.readMsg()
process.stdout.write(`got 0x${msg.code.toString(16)} over ${out.remoteAddress}\n`)
await Promise.all([dialer.stop(), listener.stop()])
process.stdout.write('stopped\n')
// No process.exit: the test checks that the process ends by itself.
