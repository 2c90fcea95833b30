/**
 * CPU of the notification path alone, in process: `Notifier.accept()` one event at a time and a
 * grouping pass every N events, on a real SQLite store in a temp dir (no HTTP, no worker, no SMTP).
 * The steadiest figure for changes to src/notify and src/store/notify-queries.ts, since it leaves out
 * the rest of serve and most of the machine's load.
 *
 *   npm run build && node dist/bench/notify-cpu.js [groupsPerPass=4] [events=3000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { DEFAULT_NOTIFICATION_POLICY, Notifier, type NotifySettings, type ValidEvent } from '../src/notify/index.js'
import { openStore } from '../src/store/index.js'

async function main(): Promise<void> {
  const perPass = Number(process.argv[2] ?? 4)
  const events = Number(process.argv[3] ?? 3000)
  if (!Number.isInteger(perPass) || perPass < 1 || !Number.isInteger(events) || events < 1) throw new Error('usage: notify-cpu.js [groupsPerPass] [events]')
  const dir = mkdtempSync(join(os.tmpdir(), 'alertmail-notify-cpu-'))
  const store = await openStore({ dataDir: dir })
  try {
    await store.createUser({ name: 'Op', email: 'op@sink.test', enabled: true, severities: ['critical'] }, new Date())
    const settings: NotifySettings = {
      enabled: true,
      technicalSupport: false,
      supportAddress: '',
      applianceName: 'bench',
      consoleUrl: '',
      fromAddress: 'alertmail@bench.test',
      username: '',
      templates: { subject: '', text: '', html: '' },
    }
    // Grouping off, as in the latency case: every event is its own group and due at once.
    const policy = { ...DEFAULT_NOTIFICATION_POLICY, critical: { ...DEFAULT_NOTIFICATION_POLICY.critical, groupWaitMs: 0, dedupWindowMs: 0 } }
    const notifier = new Notifier({ store, getSettings: () => settings, getPolicy: () => policy })
    const event = (i: number): ValidEvent => ({
      severity: 'critical',
      title: `Latency probe ${String(i)}`,
      message: null,
      source: 'bench',
      category: null,
      labels: {},
      dedupKey: `k${String(i)}`,
      occurredAt: null,
      status: 'firing',
    })
    const run = async (n: number, from: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await notifier.accept([event(from + i)])
        if ((i + 1) % perPass === 0) await notifier.tick()
      }
      await notifier.tick()
    }
    await run(Math.min(500, events), 0) // warm-up: JIT, template parse
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await run(events, 1_000_000)
    const cpu = process.cpuUsage(cpu0)
    const result = {
      groupsPerPass: perPass,
      events,
      cpuMsPerEvent: Math.round(((cpu.user + cpu.system) / 1000 / events) * 1000) / 1000,
      wallMsPerEvent: Math.round(((performance.now() - t0) / events) * 1000) / 1000,
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`notify-cpu failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
})
