import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, user } from './screen.js'
import { clearSession } from '../src/dashboard/session.js'
import AuditLogs from '../src/dashboard/settings/AuditLogs.vue'
import { actionLabel, actor, changesSummary, dayWindow, formatTime, pageCount, subject } from '../src/dashboard/settings/auditLogs.js'

const entry = (id, extra = {}) => ({
  id, auditable_id: 7, auditable_type: 'Team', auditable: null, associated_id: 1, associated_type: 'Account',
  user_id: 2, user_type: 'User', username: 'ada@acme.test', action: 'update', audited_changes: { name: ['a', 'b'] },
  version: null, comment: null, request_uuid: 'r', created_at: 1764866145, remote_address: '198.51.100.7', ...extra,
})

describe('audit log formatting', () => {
  it('summarises updates as old → new and records as their fields, a few at a time', () => {
    expect(changesSummary({ role: ['agent', 'administrator'] })).toBe('role: agent → administrator')
    expect(changesSummary({ name: 'Billing', description: '' })).toBe('name: Billing; description: —')
    expect(changesSummary({ a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe('a: 1; b: 2; c: 3; +2 more')
    expect(changesSummary({ channel: [{ x: 1 }, null] })).toBe('channel: {"x":1} → —')
    expect(changesSummary({ note: 'x'.repeat(100) })).toBe('note: ' + 'x'.repeat(39) + '…')
    expect(changesSummary({})).toBe('')
    expect(changesSummary(null)).toBe('')
  })

  it('names the time in UTC, the subject, the action and who did it', () => {
    expect(formatTime(1764866145)).toBe('2025-12-04 16:35:45 UTC')
    expect(formatTime(undefined)).toBe('')
    expect(subject(entry(1))).toBe('Team #7')
    expect(subject(entry(1, { auditable_type: 'AccountUser' }))).toBe('Agent #7')
    expect(subject(entry(1, { auditable_type: 'Contact', auditable_id: null }))).toBe('Contact')
    expect(actionLabel('sign_in')).toBe('Signed in')
    expect(actionLabel('something_new')).toBe('something_new')
    expect(actor(entry(1))).toBe('ada@acme.test')
    expect(actor(entry(1, { username: null }))).toBe('User #2')
    expect(actor(entry(1, { username: null, user_id: null }))).toBe('System')
  })

  it('turns the date pickers into the API window, whole UTC days', () => {
    expect(dayWindow('2026-12-01', '2026-12-04')).toEqual({ since: '2026-12-01T00:00:00Z', until: '2026-12-04T23:59:59.999999Z' })
    expect(dayWindow('', '2026-12-04')).toEqual({ until: '2026-12-04T23:59:59.999999Z' })
    expect(dayWindow('12/01/2026', undefined)).toEqual({})
  })

  it('counts pages, at least one', () => {
    expect(pageCount(0, 15)).toBe(1)
    expect(pageCount(15, 15)).toBe(1)
    expect(pageCount(16, 15)).toBe(2)
    expect(pageCount(31, 0)).toBe(3)
  })
})

describe('audit logs screen', () => {
  afterEach(() => clearSession())

  it('shows the newest page, filters by type and action, and pages back', async () => {
    const { w, calls } = await mountAt(AuditLogs, '/app/accounts/1/settings/audit-logs', {
      'GET /api/v1/accounts/1/audit_logs': (_b, q) => [200, {
        per_page: 15, total_entries: 16, current_page: Number(q.page),
        audit_logs: q.page === '2' ? [entry(1)] : [entry(16, { action: 'create', audited_changes: { name: 'Billing' } })],
      }],
    }, user('administrator'))
    const row = w.get('[data-testid="audit-row-16"]')
    expect(row.text()).toContain('2025-12-04 16:35:45 UTC')
    expect(row.text()).toContain('ada@acme.test')
    expect(row.get('[data-testid="audit-action"]').text()).toBe('Created')
    expect(row.get('[data-testid="audit-subject"]').text()).toBe('Team #7')
    expect(row.text()).toContain('name: Billing')
    expect(row.text()).toContain('198.51.100.7')
    expect(w.get('[data-testid="audit-page"]').text()).toContain('Page 1 of 2')

    await w.get('[data-testid="audit-next"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="audit-row-1"]').exists()).toBe(true)
    expect(calls.at(-1).query.page).toBe('2')

    await w.get('[data-testid="audit-filter-type"]').setValue('Team')
    await w.get('[data-testid="audit-filter-action"]').setValue('update')
    await flushPromises()
    expect(calls.at(-1).query).toEqual({ page: '1', auditable_type: 'Team', action: 'update' })

    await w.get('[data-testid="audit-filter-from"]').setValue('2026-12-01')
    await flushPromises()
    expect(calls.at(-1).query).toEqual({ page: '1', auditable_type: 'Team', action: 'update', since: '2026-12-01T00:00:00Z' })
  })

  it('tells an agent or a failed request why there is nothing', async () => {
    const { w } = await mountAt(AuditLogs, '/app/accounts/1/settings/audit-logs', {
      'GET /api/v1/accounts/1/audit_logs': () => [403, { error: 'You are not allowed' }],
    }, user('administrator'))
    expect(w.get('[role="alert"]').text()).toContain('not allowed')
  })
})
