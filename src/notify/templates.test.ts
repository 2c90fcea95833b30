import { describe, expect, test } from 'vitest'
import { DEFAULT_HTML_TEMPLATE, DEFAULT_SUBJECT_TEMPLATE, DEFAULT_TEXT_TEMPLATE } from './default-templates.js'
import { isBuiltIn, previewTemplates, renderNotification, sampleInput, templateVariables, validateTemplates } from './templates.js'

describe('what a rendering depends on', () => {
  // The Notifier renders the built-in templates once per time zone and shares the result between
  // recipients: that is only right while they read nothing else of the recipient.
  test('the built-in templates read no recipient field (only the zone, through time and timeZone)', () => {
    for (const [field, source] of [
      ['subject', DEFAULT_SUBJECT_TEMPLATE],
      ['text', DEFAULT_TEXT_TEMPLATE],
      ['html', DEFAULT_HTML_TEMPLATE],
    ] as const) {
      expect(templateVariables(field, source)).not.toContain('recipient')
    }
    expect(templateVariables('subject', 'Hi {{ recipient.name }}')).toContain('recipient')
  })

  test('isBuiltIn: blank or absent fields are the built-in templates, anything else is not', () => {
    expect(isBuiltIn(undefined)).toBe(true)
    expect(isBuiltIn({ subject: '', text: ' ', html: '' })).toBe(true)
    expect(isBuiltIn({ subject: DEFAULT_SUBJECT_TEMPLATE })).toBe(true)
    expect(isBuiltIn({ subject: '', text: 'Hello {{ recipient.name }}', html: '' })).toBe(false)
  })
})

describe('default templates', () => {
  test('subject carries severity, title and source', () => {
    expect(renderNotification(sampleInput('alert')).subject).toBe('[CRITICAL] SYN flood towards 203.0.113.10:443 — edge-3')
    expect(renderNotification(sampleInput('digest')).subject).toBe('[CRITICAL] 412 more alerts from edge-3 in the last 5 minutes')
    expect(renderNotification(sampleInput('resolution')).subject).toBe('[CRITICAL] Resolved: SYN flood towards 203.0.113.10:443 — edge-3')
  })

  test('text and HTML show the time in the recipient zone, labels, console link and digest items', () => {
    const mail = renderNotification(sampleInput('digest'))
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('27 Nov 2026, 22:43:12') // 21:43:12Z in Europe/Berlin
      expect(body).toContain('syn-flood')
      expect(body).toContain('https://console.example.com/')
      expect(body).toContain('UDP amplification (DNS) towards 203.0.113.12')
    }
    expect(mail.html).toContain('background:#b91c1c') // the critical colour band
    const tokyo = renderNotification({ ...sampleInput('alert'), recipient: { name: 'K', email: 'k@example.jp', timeZone: 'Asia/Tokyo' } })
    expect(tokyo.text).toContain('28 Nov 2026, 06:43:12')
  })

  test('no console link when consoleUrl is empty', () => {
    const mail = renderNotification({ ...sampleInput('alert'), consoleUrl: '' })
    expect(mail.text).not.toContain('Open the console')
    expect(mail.html).not.toContain('Open the console')
  })

  test('HTML escapes event content; text keeps it', () => {
    const input = sampleInput('alert')
    const evil = { ...input.events[0]!, title: '<script>alert(1)</script>', labels: { '<b>': '"x"&' } }
    const mail = renderNotification({ ...input, events: [evil] })
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;')
    expect(mail.html).toContain('&lt;b&gt;')
    expect(mail.text).toContain('<script>alert(1)</script>')
  })

  test('the subject is one line whatever the content', () => {
    const input = sampleInput('alert')
    const mail = renderNotification({ ...input, events: [{ ...input.events[0]!, title: 'a\r\nBcc: victim@example.com\r\n\tb' }] })
    expect(mail.subject).toBe('[CRITICAL] a Bcc: victim@example.com b — edge-3')
    const custom = renderNotification(input, { subject: '{{ title }}\r\nX-Injected: 1', text: '', html: '' })
    expect(custom.subject).not.toMatch(/[\r\n]/)
  })

  test('the support copy names the appliance and no customer recipient', () => {
    const mail = renderNotification({ ...sampleInput('alert', true), recipient: { name: 'Technical Support', email: 's@vendor.example', timeZone: 'UTC' } })
    expect(mail.subject).toBe('[CRITICAL] edge-gw-01: SYN flood towards 203.0.113.10:443 — edge-3')
    expect(mail.text).toContain('technical support copy')
    expect(mail.text).not.toContain('alex@example.com')
  })
})

describe('administrator templates', () => {
  test('custom templates render with the same variables', () => {
    const mail = renderNotification(sampleInput('alert'), { subject: '{{ severity }}: {{ title }}', text: '{{ count }} × {{ source }}', html: '<p>{{ summary }}</p>' })
    expect(mail).toEqual({ subject: 'critical: SYN flood towards 203.0.113.10:443', text: '1 × edge-3', html: '<p>SYN flood towards 203.0.113.10:443 — edge-3</p>' })
  })

  test('a broken template falls back to the built-in one at render time', () => {
    const mail = renderNotification(sampleInput('alert'), { subject: '{{ nope }}', text: '', html: '' })
    expect(mail.subject).toBe('[CRITICAL] SYN flood towards 203.0.113.10:443 — edge-3')
  })

  test('validateTemplates names parse errors, unknown variables and filters, includes and sizes', () => {
    const r = validateTemplates({ subject: '{{ severty }}', text: '{% include "/etc/passwd" %}', html: '{{ title | nofilter }}' })
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['templates.subject', 'templates.text', 'templates.html'])
    expect(validateTemplates({ text: '{% if %}' })).toMatchObject({ ok: false, errors: [{ field: 'templates.text' }] })
    expect(validateTemplates({ subject: '{{ "a" | ' })).toMatchObject({ ok: false, errors: [{ field: 'templates.subject' }] })
    expect(validateTemplates({ subject: 'x'.repeat(999) })).toMatchObject({ ok: false, errors: [{ field: 'templates.subject', message: expect.stringContaining('998') }] })
    expect(validateTemplates({ subject: '', text: '', html: '' })).toEqual({ ok: true })
    expect(validateTemplates({ subject: '{% for i in items %}{{ i.title }}{% endfor %}' })).toEqual({ ok: true })
  })

  test('a runaway loop is stopped by the render limits', () => {
    const r = validateTemplates({ text: '{% for a in (1..100000) %}{% for b in (1..100000) %}x{% endfor %}{% endfor %}' })
    expect(r.ok).toBe(false)
  })

  test('previewTemplates renders a sample or reports the errors', () => {
    const p = previewTemplates({ subject: 'Hello {{ recipient.name }}', text: '', html: '' }, { kind: 'digest' })
    expect(p).toMatchObject({ ok: true, subject: 'Hello Alex Operator' })
    expect(p.ok && p.text).toContain('412')
    expect(previewTemplates({ subject: '{{ x }}' })).toMatchObject({ ok: false, errors: [{ field: 'templates.subject' }] })
  })
})
