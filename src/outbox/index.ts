/**
 * The outbox: the Store port (implemented by src/store/), the retry policy and the delivery worker.
 */
export * from './records.js'
export type * from './port.js'
export { RetryPolicy } from './retry-policy.js'
export type { RetryDecision, RetryPolicyOptions, RetrySettings } from './retry-policy.js'
export { RateLimiter } from './rate-limiter.js'
export { Worker } from './worker.js'
export { Pruner, RETENTION_DAYS_RANGE, RETENTION_DEFAULTS } from './retention.js'
export type { PruneCounts, PrunerOptions, PrunerTimer, RetentionStore } from './retention.js'
export type { PoolLike, WorkerConfig, WorkerOptions, WorkerStats } from './worker.js'
export { attemptDelivery, maybeDelivered, senderAddress } from './attempt.js'
export type { AttemptContext } from './attempt.js'
export { sendMessage } from './send-message.js'
export type { MessageSender, SendMessageOptions } from './send-message.js'
