/**
 * The two clients under test behind one shape: our `SmtpPool` and nodemailer's pooled SMTP
 * transport. Both get the same prebuilt raw bytes and the same envelope (nodemailer via `envelope`
 * + `raw`, so it composes nothing), the same connection count and no per-connection message limit.
 */
import nodemailer from 'nodemailer'
import type { SmtpOptions } from '../src/smtp/index.js'
import { SmtpPool } from '../src/smtp/index.js'

export const CLIENTS = ['ours', 'nodemailer'] as const
export type ClientName = (typeof CLIENTS)[number]

export interface BenchClient {
  send(from: string, to: readonly string[], raw: Buffer): Promise<void>
  close(): Promise<void>
}

export interface ClientConfig {
  readonly host: string
  readonly port: number
  readonly connections: number
}

export function ourOptions(cfg: ClientConfig): SmtpOptions {
  return {
    host: cfg.host,
    port: cfg.port,
    encryption: 'NONE',
    startTls: false,
    connectionTimeoutMs: 10_000,
    socketTimeoutMs: 60_000,
    ehlo: true,
    heloName: 'bench.alertmail.test',
    tlsMinVersion: 'TLSv1.2',
    tlsVerify: false,
    allowInsecureAuth: false,
    eightBitMime: true,
    dsnRet: 'NONE',
    dsnNotify: [],
    userSet: false,
    quitWait: false,
    pipelining: 'auto',
    chunking: 'auto',
    maxConnections: cfg.connections,
    maxMessagesPerConnection: 1_000_000,
  }
}

async function ours(cfg: ClientConfig): Promise<BenchClient> {
  const pool = new SmtpPool(ourOptions(cfg))
  return {
    send: async (from, to, raw) => {
      await pool.send({ from, to }, raw)
    },
    close: () => pool.close(),
  }
}

async function viaNodemailer(cfg: ClientConfig): Promise<BenchClient> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: cfg.connections,
    // nodemailer's default is 100 messages per connection, then a reconnect; ours has no limit here.
    maxMessages: Number.POSITIVE_INFINITY,
    host: cfg.host,
    port: cfg.port,
    secure: false,
    ignoreTLS: true,
    name: 'bench.alertmail.test',
  })
  return {
    send: async (from, to, raw) => {
      await transport.sendMail({ envelope: { from, to: [...to] }, raw })
    },
    close: async () => {
      transport.close()
    },
  }
}

export function createClient(name: ClientName, cfg: ClientConfig): Promise<BenchClient> {
  return name === 'ours' ? ours(cfg) : viaNodemailer(cfg)
}
