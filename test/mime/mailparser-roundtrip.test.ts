import { simpleParser } from 'mailparser'
import { describe, expect, test } from 'vitest'
import { composeMessage, joinPartial, splitPartial } from '../../src/mime/index.js'

/** Subjects, names and bodies in several scripts, read back by an independent parser. */
const SAMPLES = [
  { script: 'ASCII', subject: 'DDoS attack mitigated on 203.0.113.7', name: 'Security Appliance', body: 'SYN flood stopped after 42 s.' },
  { script: 'Latin-1', subject: 'Angriff abgewehrt: Größe überschritten', name: 'Störungsmelder Zürich', body: 'Die Überlastung ist vorüber. Façade, naïve, œuvre.' },
  { script: 'Cyrillic', subject: 'Угроза: DDoS-атака отражена', name: 'Служба безопасности', body: 'Атака остановлена. Трафик в норме.' },
  { script: 'Greek', subject: 'Επίθεση αποκρούστηκε', name: 'Ασφάλεια Δικτύου', body: 'Η κίνηση επανήλθε στο κανονικό.' },
  { script: 'CJK', subject: '攻撃を検知しました：WAF ルール 942100', name: 'セキュリティ装置', body: '攻撃は遮断されました。中文测试：攻击已被阻止。한국어: 공격이 차단되었습니다.' },
  { script: 'Arabic/Hebrew', subject: 'تم صد الهجوم — ההתקפה נחסמה', name: 'جهاز الأمان', body: 'الهجوم توقف. ההתקפה נעצרה.' },
  { script: 'Devanagari + emoji', subject: 'हमला रोका गया 🚨🔥', name: 'सुरक्षा 🛡️', body: 'सब ठीक है ✅ — long line '.repeat(12) },
] as const

describe.each([false, true])('composeMessage read back by mailparser (allow8bit %s)', (allow8bit) => {
  test.each(SAMPLES)('$script', async ({ subject, name, body }) => {
    const text = `${body}\nSecond line\n\nThird paragraph`
    const html = `<p>${body}</p>`
    const m = await composeMessage({ from: 'alerts@example.com', fromName: name, to: ['ops@example.org', 'noc@example.org'], subject, text, html, allow8bit, messageId: '<fixed-id@example.com>', headers: { 'X-Alert-Source': name } })
    const parsed = await simpleParser(m.raw)
    expect(parsed.subject).toBe(subject)
    expect(parsed.from?.value[0]?.name).toBe(name)
    expect(parsed.from?.value[0]?.address).toBe('alerts@example.com')
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to]
    expect(to.flatMap((a) => a?.value.map((v) => v.address))).toEqual(['ops@example.org', 'noc@example.org'])
    expect(parsed.messageId).toBe('<fixed-id@example.com>')
    expect(parsed.text?.replace(/\n$/, '')).toBe(text)
    expect(parsed.html).toContain(body)
    expect(parsed.headers.has('x-alert-source')).toBe(true)
    const ascii = !/[\u0080-\uffff]/.test(text)
    expect(m.eightBit).toBe(allow8bit && !ascii)
  })
})

describe('split → join → mailparser', () => {
  test.each(SAMPLES)('$script survives message/partial', async ({ subject, name, body }) => {
    const text = Array.from({ length: 80 }, (_, i) => `${i}: ${body}`).join('\n')
    const m = await composeMessage({ from: 'alerts@example.com', fromName: name, to: 'ops@example.org', subject, text, allow8bit: false })
    const parts = splitPartial(m.raw, 2000)
    expect(parts.length).toBeGreaterThan(1)
    const joined = joinPartial(parts)
    expect(joined.equals(m.raw)).toBe(true)
    const parsed = await simpleParser(joined)
    expect(parsed.subject).toBe(subject)
    expect(parsed.text?.replace(/\n$/, '')).toBe(text)
    // Each fragment on its own is a valid message mailparser reads as message/partial.
    const first = await simpleParser(parts[0]!)
    expect(first.headers.get('content-type')).toMatchObject({ value: 'message/partial' })
  })
})
