/**
 * notify/: intake, routing, grouping and templates of the notification pipeline (DESIGN.md §1).
 * Other modules import from here only.
 */
export * from './severity.js'
export type * from './port.js'
export type { FieldIssue } from './field-issue.js'
export { EVENT_LIMITS, EventInput, EventsBody, validateEvents, type ValidEvent, type ValidateEventsResult } from './event.js'
export {
  AlertmanagerAlert,
  AlertmanagerPayload,
  fromAlertmanager,
  mapAlertmanagerSeverity,
  type FromAlertmanagerResult,
} from './alertmanager.js'
export { route, quietUntil, userTimeZone, type NotifySettings, type Recipient, type Route } from './routing.js'
export {
  DEFAULT_NOTIFICATION_POLICY,
  NotificationPolicy,
  SeverityPolicy,
  validateNotificationPolicy,
  type ValidatePolicyResult,
} from './policy.js'
export { decideGroup, groupKeyOf, parseGroupKey, type DecisionKind, type GroupDecision, type ParsedGroupKey } from './grouping.js'
export { buildContext, type ContextEvent, type ContextInput, type TemplateContext } from './context.js'
export {
  DEFAULT_HTML_TEMPLATE,
  DEFAULT_SUBJECT_TEMPLATE,
  DEFAULT_TEXT_TEMPLATE,
} from './default-templates.js'
export {
  TEMPLATE_LIMITS,
  previewTemplates,
  renderNotification,
  validateTemplates,
  type PreviewResult,
  type RenderedMail,
  type Templates,
  type ValidateTemplatesResult,
} from './templates.js'
export { Notifier, toNewEvent, type NotifierOptions, type TickResult } from './notifier.js'
