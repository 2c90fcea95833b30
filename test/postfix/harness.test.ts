import { simpleParser } from 'mailparser'
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { postfixAvailable, startPostfix, withoutTrace } from '../support/postfix.js'
import type { PostfixServer } from '../support/postfix.js'

/** The harness itself, checked with an independent client (nodemailer) before ours uses it. */
describe('Postfix test harness (checked with nodemailer)', { timeout: 120_000 }, () => {
  let pf: PostfixServer

  beforeAll(async () => {
    if (!postfixAvailable()) throw new Error('these tests need /usr/sbin/postfix and root: run .ci/run (apt-get install postfix)')
    pf = await startPostfix({ messageSizeLimit: 200_000 })
  }, 120_000)
  afterAll(async () => {
    await pf?.stop()
  })

  test('delivers over STARTTLS into a Maildir, and NOTIFY=SUCCESS brings a DSN to the sender', async () => {
    const transport = nodemailer.createTransport({ host: pf.host, port: pf.port, secure: false, requireTLS: true, tls: { ca: pf.caPem, servername: 'localhost' } })
    const info = await transport.sendMail({
      from: pf.address('alerts'),
      to: pf.address('ops'),
      subject: 'Harness check',
      text: 'Größe',
      dsn: { notify: ['SUCCESS'], recipient: pf.address('ops') },
    })
    transport.close()
    expect(info.accepted).toEqual([pf.address('ops')])
    const [delivered] = await pf.waitForMessages('ops', 1)
    const parsed = await simpleParser(delivered!)
    expect(parsed.subject).toBe('Harness check')
    expect(parsed.text?.trim()).toBe('Größe')
    // Postfix's Received says ESMTPS when the session was encrypted (RFC 3848).
    expect(delivered!.toString()).toMatch(/^Received: from [^]*?with ESMTPS /m)
    // The success DSN (RFC 3464) lands in the sender's mailbox.
    const [dsn] = await pf.waitForMessages('alerts', 1)
    expect(dsn!.toString()).toMatch(/multipart\/report; report-type=delivery-status/)
    expect(dsn!.toString()).toMatch(/Action: delivered/)
    expect(withoutTrace(delivered!).toString()).toMatch(/^[A-Za-z-]+: /)
    expect(withoutTrace(delivered!).toString()).not.toMatch(/^(Return-Path|Delivered-To|X-Original-To|Received):/im)
  })
})
