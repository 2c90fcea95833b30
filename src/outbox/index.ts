/**
 * The outbox: the Store port (implemented by src/store/), the retry policy and the delivery worker.
 */
export * from './records.js'
export type * from './port.js'
