/**
 * One due group made ready to commit: read a sample of its pending events, render one mail per
 * recipient (and the support copy, a notification of its own), and describe the commit that marks
 * the events processed. Pure apart from the one read; the Notifier commits what this returns.
 */
import { randomUUID } from 'node:crypto'
import type { DeliveryInput, NotificationKind } from '../outbox/index.js'
import { finalKind, nextGroupState, parseGroupKey, type DecisionKind } from './grouping.js'
import type { NotificationPolicy } from './policy.js'
import type { GroupCommit, GroupNotification, NotifyStore, PendingGroup } from './port.js'
import type { NotifySettings, Recipient, Route } from './routing.js'
import { isBuiltIn, renderNotification, type RenderedMail } from './templates.js'

/** A due group, rendered and ready to commit. */
export interface PlannedGroup {
  readonly group: PendingGroup
  readonly commit: GroupCommit
  readonly deliveries: number
  /** How long the group stays busy after this mail (its group or repeat interval). */
  readonly intervalMs: number
}

const OUTBOX_KIND: Readonly<Record<DecisionKind, NotificationKind>> = {
  alert: 'alert',
  digest: 'digest',
  repeat: 'digest',
  resolution: 'resolution',
}

/** Reads a due group's sample and renders its mails; null when its events are gone (another process took them). */
export async function planGroup(
  store: Pick<NotifyStore, 'readGroupEvents'>,
  group: PendingGroup,
  decision: { kind: DecisionKind; newEpisode: boolean },
  routed: Route,
  settings: NotifySettings,
  policy: NotificationPolicy,
  now: Date,
): Promise<PlannedGroup | null> {
  const sample = await store.readGroupEvents(group.groupKey, { upToSeq: group.maxSeq, limit: policy.digestTopItems })
  const newest = sample.events[0]
  if (newest === undefined) return null
  const parsed = parseGroupKey(group.groupKey)
  const kind = finalKind(decision.kind, parsed.kind, newest.status)
  const state = nextGroupState(group, decision.newEpisode, newest.status, now)
  const lastSent = group.state?.lastSentAt
  const periodMs = (kind === 'digest' || kind === 'repeat') && lastSent ? now.getTime() - lastSent.getTime() : null
  const domain = messageIdDomain(settings)
  // The built-in templates read nothing of the recipient but the time zone (a test holds them to
  // that), so recipients who share a zone share one rendering; administrators' templates may greet
  // each recipient by name and are rendered per recipient.
  const shared = isBuiltIn(settings.templates) ? new Map<string, RenderedMail>() : undefined

  const renderFor = (r: Recipient, isSupport: boolean): RenderedMail => {
    const key = `${isSupport ? 'support' : 'user'} ${r.timeZone}`
    const known = shared?.get(key)
    if (known !== undefined) return known
    const mail = renderNotification(
      {
        kind,
        isSupport,
        severity: group.severity,
        events: sample.events,
        titles: sample.titles,
        count: group.count,
        totalCount: state.totalCount,
        periodMs,
        source: parsed.kind === 'source' ? parsed.source : newest.source,
        category: parsed.kind === 'source' ? parsed.category : newest.category,
        recipient: { name: r.name, email: r.email, timeZone: r.timeZone },
        applianceName: settings.applianceName,
        // The support copy links to the console too: it is how the vendor finds the appliance.
        consoleUrl: settings.consoleUrl,
      },
      settings.templates,
    )
    shared?.set(key, mail)
    return mail
  }
  const render = (r: Recipient, isSupport: boolean): DeliveryInput => {
    const mail = renderFor(r, isSupport)
    return {
      recipient: r.email,
      ...(r.userId === null ? {} : { userId: r.userId }),
      // Per delivery, always (RFC 5322 §3.6.4: unique per message); stored with it, so a redelivery
      // after a crash repeats the same Message-ID.
      messageId: `<${randomUUID()}@${domain}>`,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      state: r.state,
      severity: group.severity,
      nextAttemptAt: r.nextAttemptAt,
    }
  }

  const base = { severity: group.severity, groupKey: group.groupKey, eventCount: group.count, createdAt: now }
  const planned: GroupNotification[] = [
    { notification: { ...base, kind: OUTBOX_KIND[kind] }, deliveries: routed.users.map((u) => render(u, false)) },
  ]
  // A separate notification, so the vendor's copy never shows who else was told (DESIGN.md §2).
  if (routed.support) planned.push({ notification: { ...base, kind: 'support' }, deliveries: [render(routed.support, true)] })

  const severityPolicy = policy[group.severity]
  return {
    group,
    commit: {
      groupKey: group.groupKey,
      expectedVersion: group.state?.version ?? 0,
      upToSeq: group.maxSeq,
      expectedCount: group.count,
      processedAt: now,
      state,
      notifications: planned,
    },
    deliveries: planned.reduce((n, p) => n + p.deliveries.length, 0),
    intervalMs: parsed.kind === 'source' ? severityPolicy.groupIntervalMs : severityPolicy.repeatIntervalMs,
  }
}

/** The right-hand side of our Message-IDs (RFC 5322 §3.6.4): the sender's domain when we know it. */
export function messageIdDomain(settings: Pick<NotifySettings, 'fromAddress' | 'username'>): string {
  for (const address of [settings.fromAddress, settings.username]) {
    const domain = address.slice(address.lastIndexOf('@') + 1).trim()
    if (address.includes('@') && /^[A-Za-z0-9.-]+$/.test(domain)) return domain
  }
  return 'alertmail.invalid'
}
