/**
 * Measures the real round trip through the delay relay: the median of sequential NOOP → 250
 * exchanges on one SMTP connection. The relay's timers have a 1 ms grain, so this is a little
 * above the nominal 2 × delay; the bench reports the bound against both.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { median } from './stats.js'

export async function probeRoundTripMs(port: number, samples = 10): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.setNoDelay(true)
  let buffered = ''
  let waiter: (() => void) | undefined
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1')
    if (/(^|\n)\d{3} [^\n]*\n$/.test(buffered)) {
      buffered = ''
      const w = waiter
      waiter = undefined
      w?.()
    }
  })
  const reply = (): Promise<void> => new Promise((resolve) => (waiter = resolve))
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      waiter = resolve
    })
    const times: number[] = []
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now()
      const r = reply()
      socket.write('NOOP\r\n')
      await r
      times.push(performance.now() - t0)
    }
    const r = reply()
    socket.write('QUIT\r\n')
    await r
    return median(times)
  } finally {
    socket.destroy()
  }
}
