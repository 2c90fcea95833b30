/**
 * The admin UI in Debian's Chromium against a real `alertmail serve` and in-process SMTP relays
 * (issue 5): log in, System → E-Mail, Send Test Mail, Save Changes, users, the delivery log.
 * The tests run in order and share one server, one browser tab and one saved configuration.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  REPO_ROOT,
  VIEWPORTS,
  launchBrowser,
  screenshot,
  screenshotOf,
  startServe,
} from '../support/browser.js'
import type { BrowserSession, ServeHandle } from '../support/browser.js'
import { RELAY_PASSWORD, RELAY_USER, startRelay } from './relay.js'
import type { Relay } from './relay.js'

/** The seed page's fields, in its order, with the seed's defaults (DESIGN.md §2). */
const SEED_FIELDS = [
  { path: 'enabled', label: 'Enable Email Notifications', kind: 'switch', value: false },
  { path: 'host', label: 'Email Server', kind: 'text', value: '' },
  { path: 'port', label: 'Server Port', kind: 'text', value: '587' },
  { path: 'connectionTimeoutMs', label: 'Connection Timeout', kind: 'text', value: '0' },
  { path: 'socketTimeoutMs', label: 'Socket Timeout', kind: 'text', value: '0' },
  { path: 'authEnabled', label: 'Enable Auth', kind: 'switch', value: false },
  { path: 'username', label: 'Email Address', kind: 'text', value: '' },
  { path: 'password', label: 'Email Password', kind: 'text', value: '' },
  { path: 'technicalSupport', label: 'Technical Support', kind: 'switch', value: false },
  { path: 'encryption', label: 'Encryption Protocol', kind: 'select', value: 'TLS' },
  { path: 'dsnRet', label: 'DSN Response', kind: 'select', value: 'NONE' },
  { path: 'dsnNotify', label: 'DSN Notify', kind: 'multi', value: [] },
  { path: 'ehlo', label: 'Enable EHLO', kind: 'switch', value: true },
  { path: 'startTls', label: 'Start TLS', kind: 'switch', value: true },
  { path: 'eightBitMime', label: 'Enable 8-bit Mime', kind: 'switch', value: false },
  { path: 'partialEmail', label: 'Enable Partial Email', kind: 'switch', value: false },
  { path: 'userSet', label: 'Enable UserSet', kind: 'switch', value: false },
  { path: 'quitWait', label: 'Enable Quit Wait', kind: 'switch', value: true },
] as const

/** The DOM members the label check reads (the test tsconfig has no DOM lib). */
interface ControlLike {
  readonly tagName: string
  readonly id: string
  readonly type?: string
  readonly labels?: { readonly length: number } | null
  readonly textContent: string | null
  getAttribute(name: string): string | null
}

/** Form controls and buttons with no accessible name (no label, aria-label(ledby) or text). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.locator('input, select, textarea, button, [role="group"]').evaluateAll((els: ControlLike[]) =>
    els
      .filter((el) => el.type !== 'hidden')
      .filter((el) => {
        const named =
          (el.getAttribute('aria-label') ?? '').trim() !== '' ||
          (el.getAttribute('aria-labelledby') ?? '') !== '' ||
          (el.labels !== undefined && el.labels !== null && el.labels.length > 0) ||
          (el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '')
        return !named
      })
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}[name=${el.getAttribute('name') ?? ''}]`),
  )
}

const field = (page: Page, path: string) => page.locator(`#f-${path.replace(/\./g, '-')}`)
const fieldBox = (page: Page, path: string) => page.locator(`[data-field="${path}"]`)
/** Waits until the text matches (the UI updates after its request returns). */
const eventually = (read: () => Promise<string | null>, re: RegExp) =>
  expect.poll(read, { timeout: 60_000, interval: 200 }).toMatch(re)

describe('admin UI in Chromium against alertmail serve', { timeout: 120_000 }, () => {
  let serve: ServeHandle
  let session: BrowserSession
  let relay: Relay
  let refusing: Relay
  let page: Page

  beforeAll(async () => {
    for (const built of [
      join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'),
      join(REPO_ROOT, 'web', 'dist', 'index.html'),
    ]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`)
    }
    relay = await startRelay('accept')
    refusing = await startRelay('refuse-auth')
    serve = await startServe()
    session = await launchBrowser()
    page = await session.newPage(VIEWPORTS.laptop)
  }, 120_000)

  afterAll(async () => {
    await session?.close()
    await serve?.stop()
    await relay?.close()
    await refusing?.close()
  })

  afterEach(() => {
    // No console errors and no uncaught exceptions on any page, ever.
    expect(session.errors).toEqual([])
  })

  async function openAdvanced(): Promise<void> {
    const advanced = page.getByRole('button', { name: 'Advanced settings' })
    if ((await advanced.getAttribute('aria-expanded')) !== 'true') await advanced.click()
  }

  async function openFromSystemMenu(item: string): Promise<void> {
    await page.getByRole('button', { name: 'System' }).click()
    await page.getByRole('menuitem', { name: item }).click()
  }

  it('logs in with the admin token and opens System → E-Mail from the top-right menu', async () => {
    await page.goto(`${serve.url}/`)
    await page.getByLabel('Admin token').waitFor()
    await screenshot(page, 'login')
    await page.getByLabel('Admin token').fill(serve.token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const system = page.getByRole('button', { name: 'System' })
    await system.waitFor()
    // "System (Present at the Top Right Side)": its right edge is in the right part of the bar.
    const box = await system.boundingBox()
    expect(box).not.toBeNull()
    expect(box!.x + box!.width).toBeGreaterThan(VIEWPORTS.laptop.width * 0.75)

    await page.goto(`${serve.url}/#/system/users`)
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
    await openFromSystemMenu('E-Mail')
    await page.getByRole('heading', { level: 1, name: 'E-Mail' }).waitFor()
    expect(page.url()).toContain('#/system/email')
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toContain('alertmail.token')
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])
  })

  it('shows every seed field, in the seed order, with its seed default', async () => {
    await field(page, 'host').waitFor()
    const order = await page
      .locator('section')
      .first()
      .locator('[data-field]')
      .evaluateAll((els: { getAttribute(name: string): string | null }[]) =>
        els.map((e) => e.getAttribute('data-field')),
      )
    expect(order).toEqual(SEED_FIELDS.map((f) => f.path))
    for (const f of SEED_FIELDS) {
      const box = fieldBox(page, f.path)
      await expect.soft(box.locator('.label').first().textContent()).resolves.toContain(f.label)
      if (f.kind === 'switch') expect.soft(await field(page, f.path).isChecked(), f.label).toBe(f.value)
      else if (f.kind === 'multi')
        expect.soft(await box.locator('input[type=checkbox]:checked').count(), f.label).toBe(0)
      else expect.soft(await field(page, f.path).inputValue(), f.label).toBe(f.value)
    }
    // Units are shown; dependencies are visible.
    await expect(fieldBox(page, 'connectionTimeoutMs').locator('.unit').textContent()).resolves.toBe('ms')
    expect(await field(page, 'password').isDisabled()).toBe(true)
    expect(await field(page, 'username').isDisabled()).toBe(true)
    await expect(fieldBox(page, 'password').textContent()).resolves.toContain('not set')
    expect(await field(page, 'startTls').isDisabled()).toBe(true) // locked on under TLS
    await screenshot(page, 'email-laptop')
    await page.setViewportSize(VIEWPORTS.phone)
    await screenshot(page, 'email-phone')
    await page.setViewportSize(VIEWPORTS.laptop)
  })

  it('Encryption Protocol drives Start TLS and suggests the port', async () => {
    await field(page, 'encryption').selectOption('SSL')
    await expect.poll(() => field(page, 'port').inputValue()).toBe('465')
    await expect.poll(() => field(page, 'startTls').isDisabled()).toBe(true)
    await field(page, 'encryption').selectOption('TLS')
    await expect.poll(() => field(page, 'port').inputValue()).toBe('587')
    await expect.poll(() => field(page, 'startTls').isChecked()).toBe(true)
    await field(page, 'encryption').selectOption('NONE')
    await expect.poll(() => field(page, 'startTls').isDisabled()).toBe(false)
    await field(page, 'authEnabled').check()
    await expect.poll(() => field(page, 'password').isDisabled()).toBe(false)
  })

  it('a bad port shows a field error next to Server Port, and a server-side error shows in place too', async () => {
    await field(page, 'port').fill('70000')
    await page.getByRole('button', { name: 'Save Changes' }).click()
    await expect.poll(() => field(page, 'port').getAttribute('aria-invalid')).toBe('true')
    await expect(fieldBox(page, 'port').locator('.error').textContent()).resolves.toMatch(
      /between 1 and 65535/,
    )
    await eventually(() => page.getByTestId('save-status').textContent(), /Not saved/)

    // Enabled without a server: the API refuses (problem+json errors[]) and names the field.
    await field(page, 'port').fill(String(relay.port))
    await field(page, 'enabled').check()
    await page.getByRole('button', { name: 'Save Changes' }).click()
    await fieldBox(page, 'host').locator('.error').waitFor()
    expect(await field(page, 'host').getAttribute('aria-invalid')).toBe('true')
    session.takeErrors(/Failed to load resource: the server responded with a status of 400/)
  })

  it('Send Test Mail succeeds against the relay with the unsaved form and shows steps and transcript', async () => {
    await field(page, 'host').fill('127.0.0.1')
    await field(page, 'port').fill(String(relay.port))
    await field(page, 'startTls').uncheck()
    await field(page, 'username').fill(RELAY_USER)
    await field(page, 'password').fill(RELAY_PASSWORD)
    await page.getByLabel('Test recipient').fill('ops@example.com')
    await page.getByRole('button', { name: 'Send Test Mail' }).click()
    const result = page.getByTestId('test-result')
    await result.waitFor({ timeout: 60_000 })
    await expect(result.getAttribute('class')).resolves.toContain('is-ok')
    const steps = await result.locator('.steps li').allTextContents()
    for (const name of ['Connect', 'Greeting', 'EHLO', 'AUTH', 'MAIL FROM', 'RCPT TO', 'DATA', 'QUIT']) {
      expect(
        steps.some((s) => s.includes(name) && s.includes('succeeded')),
        `${name} in ${steps.join(' | ')}`,
      ).toBe(true)
    }
    await result.locator('summary', { hasText: 'Full transcript' }).click()
    const transcript = await page.getByTestId('transcript').textContent()
    expect(transcript).toContain(`MAIL FROM:<${RELAY_USER}>`)
    expect(transcript).toContain('RCPT TO:<ops@example.com>')
    expect(transcript).not.toContain(RELAY_PASSWORD)
    expect(relay.received.some((m) => m.to.includes('ops@example.com'))).toBe(true)
    await screenshot(page, 'email-test-ok')
    await screenshotOf(page.locator('.test-mail'), 'email-test-ok-card')
    // Nothing was saved by the test.
    const saved = await serve.api('GET', '/api/v1/settings/email')
    expect((saved.body as { host: string }).host).toBe('')
  })

  it('Send Test Mail fails at AUTH with the password hint against a relay that refuses AUTH', async () => {
    await field(page, 'port').fill(String(refusing.port))
    await page.getByRole('button', { name: 'Send Test Mail' }).click()
    const result = page.locator('[data-testid="test-result"].is-failed')
    await result.waitFor({ timeout: 60_000 })
    const failed = await result.locator('.steps li.step-failed').allTextContents()
    expect(failed.join(' ')).toContain('AUTH')
    await expect(page.getByTestId('test-hint').textContent()).resolves.toMatch(
      /refused the username or password/,
    )
    expect(refusing.logins).toContain(RELAY_USER)
    await screenshot(page, 'email-test-auth-refused')
    await screenshotOf(page.locator('.test-mail'), 'email-test-auth-refused-card')
  })

  it('Save Changes persists across a reload, with the password shown as set and never sent back', async () => {
    await field(page, 'port').fill(String(relay.port))
    await openAdvanced()
    await field(page, 'fromAddress').fill('alertmail@example.com')
    await page.getByRole('button', { name: 'Save Changes' }).click()
    await eventually(() => page.getByTestId('save-status').textContent(), /Settings saved/)
    await page.reload()
    await field(page, 'host').waitFor()
    expect(await field(page, 'host').inputValue()).toBe('127.0.0.1')
    expect(await field(page, 'port').inputValue()).toBe(String(relay.port))
    expect(await field(page, 'enabled').isChecked()).toBe(true)
    expect(await field(page, 'authEnabled').isChecked()).toBe(true)
    expect(await field(page, 'encryption').inputValue()).toBe('NONE')
    expect(await field(page, 'password').inputValue()).toBe('')
    await expect(fieldBox(page, 'password').locator('.secret-status').textContent()).resolves.toMatch(/^set/)
    const html = await page.content()
    expect(html).not.toContain(RELAY_PASSWORD)
  })

  it('on a 409 shows what another administrator changed and reloads the saved values', async () => {
    // Someone else saves while this page is open (same password: host and user unchanged).
    const current = (await serve.api('GET', '/api/v1/settings/email')).body as Record<string, unknown>
    const { passwordSet: _p, warnings: _w, updatedAt: _u, ...rest } = current
    const oauth2 = { ...(rest['oauth2'] as Record<string, unknown>) }
    delete oauth2['clientSecretSet']
    const theirs = await serve.api('PUT', '/api/v1/settings/email', {
      ...rest,
      oauth2,
      socketTimeoutMs: 30000,
    })
    expect(theirs.status).toBe(200)

    await field(page, 'connectionTimeoutMs').fill('15000')
    await page.getByRole('button', { name: 'Save Changes' }).click()
    const conflict = page.getByTestId('conflict')
    await conflict.waitFor()
    session.takeErrors(/Failed to load resource: the server responded with a status of 409/)
    const socketRow = conflict.locator('tr', { hasText: 'Socket Timeout' })
    await expect(socketRow.textContent()).resolves.toMatch(/30000.*0/)
    await expect(conflict.locator('tr', { hasText: 'Connection Timeout' }).textContent()).resolves.toMatch(
      /0.*15000/,
    )
    await screenshot(page, 'email-conflict')
    await conflict.getByRole('button', { name: 'Reload saved settings' }).click()
    await conflict.waitFor({ state: 'detached' })
    await expect.poll(() => field(page, 'socketTimeoutMs').inputValue()).toBe('30000')
    await expect.poll(() => field(page, 'connectionTimeoutMs').inputValue()).toBe('0')
  })

  it('shows the schema warnings returned by Save next to their field', async () => {
    await field(page, 'ehlo').uncheck()
    await page.getByRole('button', { name: 'Save Changes' }).click()
    await eventually(() => page.getByTestId('save-status').textContent(), /Settings saved/)
    const warning = fieldBox(page, 'ehlo').locator('.warning')
    await warning.waitFor()
    await expect(warning.textContent()).resolves.toMatch(/EHLO off/)
    await screenshot(page, 'email-warning')
    await field(page, 'ehlo').check()
    await page.getByRole('button', { name: 'Save Changes' }).click()
    await warning.waitFor({ state: 'detached' })
    await eventually(() => page.getByTestId('save-status').textContent(), /Settings saved/)
  })

  it('previews the templates on screen, and shows a template error next to its field', async () => {
    await openAdvanced()
    await field(page, 'templates.subject').fill('[{{ severity | upcase }}] {{ title }}')
    await page.getByRole('button', { name: 'Preview templates' }).click()
    const box = page.locator('.preview-box')
    await box.waitFor()
    await expect(box.textContent()).resolves.toMatch(/Subject: \[CRITICAL\] \S/)
    await field(page, 'templates.subject').fill('[{{ severty }}]')
    await page.getByRole('button', { name: 'Preview templates' }).click()
    await fieldBox(page, 'templates.subject').locator('.error').waitFor()
    await expect(fieldBox(page, 'templates.subject').locator('.error').textContent()).resolves.toContain(
      'severty',
    )
    session.takeErrors(/Failed to load resource: the server responded with a status of 400/)
    await field(page, 'templates.subject').fill('')
  })

  it('adds a user with severities and quiet hours', async () => {
    // Keyboard: open the System menu from the button and pick Users.
    await page.getByRole('button', { name: 'System' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('menuitem', { name: 'Users' }).waitFor()
    // The menu moves focus to its first item; arrows then move through the items.
    await expect.poll(() => page.locator(':focus').textContent()).toBe('E-Mail')
    await page.keyboard.press('ArrowDown')
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Users')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
    await page.getByRole('button', { name: 'Add user' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Olivia Ops')
    await page.getByLabel('E-mail address').fill('olivia@example.com')
    await page.getByRole('checkbox', { name: 'medium' }).check()
    await page.getByRole('button', { name: 'Add user' }).last().click()
    const row = page.getByTestId('users-table').locator('tr', { hasText: 'olivia@example.com' })
    await row.waitFor()
    await expect(row.textContent()).resolves.toMatch(/critical.*high.*medium/)
    const users = await serve.api('GET', '/api/v1/users')
    expect(JSON.stringify(users.body)).toContain('olivia@example.com')
    await screenshot(page, 'users')
    await page.setViewportSize(VIEWPORTS.phone)
    await screenshot(page, 'users-phone')
    await page.setViewportSize(VIEWPORTS.laptop)
  })

  it('edits, disables and deletes a user, asking before the delete', async () => {
    await page.getByRole('button', { name: 'Add user' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Temp User')
    await page.getByLabel('E-mail address').fill('temp@example.com')
    await page.getByLabel('Hold non-critical alerts during quiet hours').check()
    await page.getByLabel('Start', { exact: true }).fill('22:00')
    await page.getByLabel('End', { exact: true }).fill('06:30')
    await page.getByLabel('Time zone').fill('Europe/Berlin')
    await page.getByRole('button', { name: 'Add user' }).last().click()
    const row = () => page.getByTestId('users-table').locator('tr', { hasText: 'temp@example.com' })
    await row().waitFor()
    await expect(row().textContent()).resolves.toContain('22:00–06:30 Europe/Berlin')
    await screenshot(page, 'users-added')

    await page.getByRole('button', { name: 'Edit Temp User' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Temp Person')
    await page.getByRole('checkbox', { name: 'high' }).uncheck()
    await screenshot(page, 'users-edit-form')
    await page.getByRole('button', { name: 'Save user' }).click()
    await eventually(() => row().textContent(), /Temp Person/)
    expect(await row().textContent()).not.toMatch(/High/i)

    await page.getByRole('button', { name: 'Disable Temp Person' }).click()
    await eventually(() => row().textContent(), /disabled/)
    const list = (await serve.api('GET', '/api/v1/users')).body as {
      items: { email: string; enabled: boolean }[]
    }
    expect(list.items.find((u) => u.email === 'temp@example.com')?.enabled).toBe(false)

    await page.getByRole('button', { name: 'Delete Temp Person' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete Temp Person?' })
    await dialog.waitFor()
    await screenshot(page, 'users-delete-confirm')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    expect(await row().count()).toBe(1)
    await page.getByRole('button', { name: 'Delete Temp Person' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click()
    await row().waitFor({ state: 'detached' })
    const after = (await serve.api('GET', '/api/v1/users')).body as { items: { email: string }[] }
    expect(after.items.map((u) => u.email)).toEqual(['olivia@example.com'])
  })

  it('an event posted through the API shows per recipient in the delivery log: sent, and refused with a manual retry', async () => {
    // A second recipient whose mailbox the relay refuses for good (550 5.1.1).
    const nobody = await serve.api('POST', '/api/v1/users', {
      name: 'Nobody',
      email: 'nobody@example.com',
      enabled: true,
      severities: ['critical'],
    })
    expect(nobody.status).toBe(201)
    const posted = await serve.api('POST', '/api/v1/events', {
      severity: 'critical',
      title: 'SYN flood on edge-1',
      source: 'browser-test',
    })
    expect(posted.status).toBe(202)
    await openFromSystemMenu('Delivery log')
    await page.getByRole('heading', { level: 1, name: 'Delivery log' }).waitFor()
    const sent = page.locator('tr[data-recipient="olivia@example.com"][data-status="sent"]')
    const failed = page.locator('tr[data-recipient="nobody@example.com"][data-status="failed"]')
    // Auto-refresh picks the deliveries up once the worker has tried them.
    await sent.waitFor({ timeout: 90_000 })
    await failed.waitFor({ timeout: 90_000 })
    await expect(failed.textContent()).resolves.toContain('550')
    expect(relay.received.some((m) => m.to.includes('olivia@example.com'))).toBe(true)

    await sent.getByRole('button', { name: /Details/ }).click()
    const detail = page.locator('.delivery-detail')
    await detail.locator('summary', { hasText: 'Transcript of attempt 1' }).click()
    await expect(detail.locator('pre').first().textContent()).resolves.toContain(
      'RCPT TO:<olivia@example.com>',
    )
    await screenshot(page, 'deliveries')
    await page.setViewportSize(VIEWPORTS.phone)
    await screenshot(page, 'deliveries-phone')
    await page.setViewportSize(VIEWPORTS.laptop)

    // Filters: only failed deliveries, then only sent ones.
    await page.getByLabel('Status').selectOption('failed')
    await page.locator('tr[data-recipient="olivia@example.com"]').waitFor({ state: 'detached' })
    expect(await failed.count()).toBe(1)
    await page.getByLabel('Status').selectOption('')

    // Manual retry of the refused one: a second attempt is recorded.
    const id = await failed.getAttribute('data-id')
    await failed.getByRole('button', { name: /Retry/ }).click()
    await eventually(() => page.locator('.page-status').textContent(), /Retry queued for nobody@example.com/)
    await expect
      .poll(
        async () => {
          const d = await serve.api('GET', `/api/v1/deliveries/${id ?? ''}`)
          return (d.body as { attemptLog?: unknown[] }).attemptLog?.length ?? 0
        },
        { timeout: 90_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(2)
    await failed.waitFor({ timeout: 90_000 })
  })

  it('the audit page lists the settings change', async () => {
    await openFromSystemMenu('Audit')
    const table = page.getByTestId('audit-table')
    await table.waitFor()
    await expect(table.textContent()).resolves.toContain('settings.email.update')
    await screenshot(page, 'audit')
  })

  it('labels every control and shows a visible focus ring, on every page', async () => {
    await openFromSystemMenu('E-Mail')
    await field(page, 'host').waitFor()
    await openAdvanced()
    expect(await unlabelledControls(page)).toEqual([])
    await openFromSystemMenu('Users')
    await page.getByRole('button', { name: 'Add user' }).click()
    expect(await unlabelledControls(page)).toEqual([])
    await openFromSystemMenu('Delivery log')
    await page.getByTestId('deliveries-table').locator('button', { hasText: 'Details' }).first().click()
    await page.locator('.delivery-detail').waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    await openFromSystemMenu('Audit')
    await page.getByTestId('audit-table').waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    // Keyboard focus is visible (:focus-visible outline), here on the System button.
    await page.getByRole('button', { name: 'System' }).focus()
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('Tab')
    await expect.poll(() => page.locator(':focus').textContent()).toMatch(/System/)
    const outline = await page.locator(':focus').evaluate((el: unknown) => {
      const style = (
        globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }
      ).getComputedStyle(el)
      return style.outlineStyle
    })
    expect(outline).toBe('solid')
  })

  it('shows a health banner on every page while mail is failing', async () => {
    // The real server is healthy here; the banner's input is replaced with the degraded answer
    // GET /api/v1/health gives after minutes of failures (src/http/routes/mail-health.ts).
    const real = await serve.api('GET', '/api/v1/health')
    expect(real.status).toBe(200)
    await page.route('**/api/v1/health', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          ...(real.body as object),
          status: 'degraded',
          reasons: ['Mail has been failing for 7 minutes (ERR_SMTP_AUTH).'],
        }),
      }),
    )
    await page.reload()
    const banner = page.getByTestId('health-banner')
    await banner.waitFor()
    await expect(banner.textContent()).resolves.toContain(
      'Mail has been failing for 7 minutes (ERR_SMTP_AUTH).',
    )
    await openFromSystemMenu('Users')
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
    expect(await banner.isVisible()).toBe(true)
    await screenshot(page, 'health-banner')
    await page.unroute('**/api/v1/health')
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
    await page.getByTestId('users-table').waitFor()
    expect(await banner.count()).toBe(0)
  })

  it('logs out and forgets the token', async () => {
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByLabel('Admin token').waitFor()
    expect(await page.evaluate(() => sessionStorage.getItem('alertmail.token'))).toBeNull()
  })
})
