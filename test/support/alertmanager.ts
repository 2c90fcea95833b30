/**
 * A throwaway Prometheus Alertmanager (Debian's prometheus-alertmanager) with one webhook receiver:
 * its config file, the receiver's bearer token file and its storage under a fresh temp dir, the web
 * API on 127.0.0.1 (port 0: the address is read from its log), clustering off
 * (`--cluster.listen-address=`), and short group timings so a test does not wait minutes.
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnDaemon, waitForDaemon } from './daemon.js'

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager'

export interface AlertmanagerOptions {
  /** Where the webhook posts (version 4 payload). */
  readonly webhookUrl: string
  /** Sent as `Authorization: Bearer …` (http_config.authorization, from a credentials_file). */
  readonly bearerToken: string
  /** Route timings (Go durations). Defaults: 1s, 1s, 1h; resolve_timeout 5m. */
  readonly groupWait?: string
  readonly groupInterval?: string
  readonly repeatInterval?: string
  readonly resolveTimeout?: string
}

/** An alert as Alertmanager's API v2 takes it (POST /api/v2/alerts, an array of these). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
  readonly startsAt?: string
  readonly endsAt?: string
  readonly generatorURL?: string
}

export interface Alertmanager {
  /** http://127.0.0.1:PORT */
  readonly base: string
  readonly version: string
  postAlerts(alerts: readonly PostableAlert[]): Promise<void>
  /** GET /api/v2/alerts (what Alertmanager holds now, with status.state). */
  alerts(): Promise<unknown[]>
  log(): string
  stop(): Promise<void>
}

export function alertmanagerAvailable(): boolean {
  return existsSync(ALERTMANAGER_BIN)
}

export async function startAlertmanager(opts: AlertmanagerOptions): Promise<Alertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'alertmail-alertmanager-'))
  const config = join(dir, 'alertmanager.yml')
  const tokenFile = join(dir, 'webhook-token')
  await writeFile(tokenFile, opts.bearerToken, { mode: 0o600 })
  // JSON is YAML: no quoting surprises in the URL or paths.
  await writeFile(config, JSON.stringify({
    global: { resolve_timeout: opts.resolveTimeout ?? '5m' },
    route: {
      receiver: 'alertmail',
      group_by: ['alertname'],
      group_wait: opts.groupWait ?? '1s',
      group_interval: opts.groupInterval ?? '1s',
      repeat_interval: opts.repeatInterval ?? '1h',
    },
    receivers: [{
      name: 'alertmail',
      webhook_configs: [{
        url: opts.webhookUrl,
        send_resolved: true,
        http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
      }],
    }],
  }, null, 2))

  const daemon = spawnDaemon(ALERTMANAGER_BIN, [
    `--config.file=${config}`,
    `--storage.path=${join(dir, 'data')}`,
    '--web.listen-address=127.0.0.1:0',
    '--cluster.listen-address=',
    '--log.level=debug',
  ], { cwd: dir })
  const out = () => daemon.output()
  const stop = async () => {
    await daemon.stop()
    await rm(dir, { recursive: true, force: true })
  }

  let base: string
  try {
    // Port 0: the bound address is only in its log.
    base = await waitForDaemon(daemon, '"Listening on" log line', () => {
      const m = /msg="Listening on" address=(127\.0\.0\.1:\d+)/.exec(out())
      return m?.[1] === undefined ? undefined : `http://${m[1]}`
    }, 60_000)
    await waitReady(base, 60_000)
  } catch (e) {
    const text = out()
    await stop()
    throw new Error(`alertmanager did not start: ${String(e)}\n${text}`, { cause: e })
  }
  const version = /version=([0-9][^,) ]*)/.exec(out())?.[1] ?? 'unknown'

  return {
    base,
    version,
    postAlerts: async (alerts) => {
      const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) })
      if (res.status !== 200) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`)
    },
    alerts: async () => (await fetch(`${base}/api/v2/alerts`)).json() as Promise<unknown[]>,
    log: out,
    stop,
  }
}

/** /-/ready answers 200 once the configuration is loaded. */
async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await fetch(`${base}/-/ready`).then((r) => r.status === 200, () => false)
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${base}/-/ready never answered 200`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
