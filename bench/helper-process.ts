/**
 * Child-process entry that hosts the bench's servers (sinks and delay relays), so their CPU is
 * never counted in the client's `process.cpuUsage()` — that call covers every thread of a process,
 * so a worker thread would not separate them. Driven over the IPC channel by `Helper` (children.ts).
 */
import { DelayProxy } from './delay-proxy.js'
import type { SinkStats } from './sinks/fast-sink.js'
import { FastSink } from './sinks/fast-sink.js'
import { SmtpServerSink } from './sinks/smtp-server-sink.js'

export type SinkKind = 'fast-pipelining' | 'fast-chunking' | 'smtp-server'

export type HelperRequest =
  | { readonly op: 'sink'; readonly kind: SinkKind; readonly port?: number; readonly trace?: boolean }
  | { readonly op: 'proxy'; readonly upstreamPort: number; readonly delayMs: number }
  | { readonly op: 'stats' }
  | { readonly op: 'reset' }
  | { readonly op: 'traces' }
  | { readonly op: 'close' }

interface Hosted {
  readonly port: number
  stats?(): SinkStats
  reset?(): void
  takeTraces?(): unknown
  close(): Promise<void>
}

let hosted: Hosted | undefined

async function handle(req: HelperRequest): Promise<unknown> {
  switch (req.op) {
    case 'sink':
      hosted =
        req.kind === 'smtp-server'
          ? await SmtpServerSink.start(req.port)
          : await FastSink.start({ chunking: req.kind === 'fast-chunking', trace: req.trace ?? false }, req.port)
      return { port: hosted.port }
    case 'proxy':
      hosted = await DelayProxy.start({ upstreamHost: '127.0.0.1', upstreamPort: req.upstreamPort, delayMs: req.delayMs })
      return { port: hosted.port }
    case 'stats':
      return hosted?.stats?.()
    case 'traces':
      return hosted?.takeTraces?.() ?? []
    case 'reset':
      hosted?.reset?.()
      return null
    case 'close':
      await hosted?.close()
      setImmediate(() => process.exit(0))
      return null
  }
}

process.on('message', (msg: { id: number; req: HelperRequest }) => {
  handle(msg.req).then(
    (result) => process.send?.({ id: msg.id, ok: true, result }),
    (err: unknown) => process.send?.({ id: msg.id, ok: false, error: String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
