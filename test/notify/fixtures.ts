/** Shared test data for notify/. */
import type { NotifySettings } from '../../src/notify/index.js'
import type { User } from '../../src/outbox/index.js'

/** A payload as Alertmanager 0.27 posts it (webhook_config, version 4). */
export function alertmanagerPayload(status: 'firing' | 'resolved', severity = 'critical', fingerprint = 'a1b2c3d4e5f60718') {
  return {
    version: '4',
    groupKey: '{}:{alertname="HighSynRate"}',
    truncatedAlerts: 0,
    status,
    receiver: 'alertmail',
    groupLabels: { alertname: 'HighSynRate' },
    commonLabels: { alertname: 'HighSynRate', severity },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels: { alertname: 'HighSynRate', instance: 'edge-3:9100', job: 'node', severity },
        annotations: { summary: 'SYN rate above 1 Mpps on edge-3', description: 'Mitigation engaged.', runbook_url: 'https://runbooks/syn' },
        startsAt: '2026-11-27T21:40:00.000Z',
        endsAt: status === 'resolved' ? '2026-11-27T21:55:00.000Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=syn_rate',
        fingerprint,
      },
    ],
  }
}



let userSeq = 0

export function user(over: Partial<User> & Pick<User, 'email' | 'severities'>): User {
  const id = `u${++userSeq}`
  const at = new Date('2026-11-01T00:00:00Z')
  return { id, name: over.email.split('@')[0] ?? id, enabled: true, createdAt: at, updatedAt: at, ...over }
}

export function settings(over: Partial<NotifySettings> = {}): NotifySettings {
  return {
    enabled: true,
    technicalSupport: false,
    supportAddress: '',
    applianceName: 'edge-gw-01',
    consoleUrl: 'https://console.example.com/',
    fromAddress: 'alerts@example.com',
    username: 'alerts@example.com',
    templates: { subject: '', text: '', html: '' },
    ...over,
  }
}
