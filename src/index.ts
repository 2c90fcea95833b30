/**
 * alertmail's library surface (DESIGN.md §3): the SMTP client and the settings mapping.
 */
export * from './smtp/options.js'
