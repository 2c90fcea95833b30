/**
 * notify/: intake, routing, grouping and templates of the notification pipeline (DESIGN.md §1).
 * Other modules import from here only.
 */
export * from './severity.js'
export type * from './port.js'
