import diagnostics from 'node:diagnostics_channel'
import type { Reply } from './reply.js'
import type { TranscriptEntry } from './types.js'

/**
 * Observability without a logger dependency (undici's lib/core/diagnostics.js): app.ts subscribes
 * and logs. Every message carries `session` (a number unique in this process). Command lines are
 * published in their redacted form only, so AUTH secrets never reach a subscriber.
 */
export const channels = {
  /** { session, host, port, tls: boolean } */
  connect: diagnostics.channel('smtp:connect'),
  /** { session, line } (redacted) */
  command: diagnostics.channel('smtp:command'),
  /** { session, reply } */
  reply: diagnostics.channel('smtp:reply'),
  /** { session, error } */
  error: diagnostics.channel('smtp:error'),
} as const

export interface ConnectMessage { readonly session: number; readonly host: string; readonly port: number; readonly tls: boolean }
export interface CommandMessage { readonly session: number; readonly line: string }
export interface ReplyMessage { readonly session: number; readonly reply: Reply }
export interface ErrorMessage { readonly session: number; readonly error: Error }

let nextSession = 1

/** One session's view of the channels plus the caller's transcript callback. */
export class Tracer {
  readonly session = nextSession++
  readonly #start = performance.now()
  readonly #trace: ((e: TranscriptEntry) => void) | undefined

  constructor(trace?: (e: TranscriptEntry) => void) {
    this.#trace = trace
  }

  connect(host: string, port: number, tls: boolean): void {
    if (channels.connect.hasSubscribers) channels.connect.publish({ session: this.session, host, port, tls } satisfies ConnectMessage)
    this.event(`connected to ${host}:${port}${tls ? ' (TLS)' : ''}`)
  }

  /** `redacted` is the only form that leaves this process. */
  command(redacted: string): void {
    if (channels.command.hasSubscribers) channels.command.publish({ session: this.session, line: redacted } satisfies CommandMessage)
    if (this.#trace !== undefined) this.#entry('C', redacted)
  }

  reply(reply: Reply): void {
    if (channels.reply.hasSubscribers) channels.reply.publish({ session: this.session, reply } satisfies ReplyMessage)
    if (this.#trace !== undefined) {
      const lines = reply.text.split('\n')
      const prefix = reply.enhanced === undefined ? '' : `${reply.enhanced} `
      lines.forEach((l, i) => this.#entry('S', `${reply.code}${i === lines.length - 1 ? ' ' : '-'}${prefix}${l}`))
    }
  }

  error(error: Error): void {
    if (channels.error.hasSubscribers) channels.error.publish({ session: this.session, error } satisfies ErrorMessage)
    this.event(`error: ${error.message}`)
  }

  event(text: string): void {
    if (this.#trace !== undefined) this.#entry('*', text)
  }

  get tracing(): boolean {
    return this.#trace !== undefined
  }

  /** ms since the session started, for steps. */
  now(): number {
    return performance.now() - this.#start
  }

  #entry(dir: TranscriptEntry['dir'], line: string): void {
    this.#trace?.({ at: Math.round(this.now()), dir, line })
  }
}
