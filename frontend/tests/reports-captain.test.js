// Reports > Captain (a month of Captain's usage per assistant, against the budget, with the
// reports' bot figures) and the per-conversation CSV on the Conversations screen.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import CaptainReport from '../src/dashboard/reports/CaptainReport.vue'
import Conversations from '../src/dashboard/reports/Conversations.vue'
import { filter } from '../src/dashboard/reports/filters.js'
import { DAY, exportParams } from '../src/dashboard/reports/model.js'
import { budgetShare, captainFigures, monthChoices, monthLabel, monthWindow, utcMonth } from '../src/dashboard/reports/captain.js'
import { usageOf } from '../src/dashboard/captain/provider.js'

const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })
const row = (id, name, f) => ({ assistant_id: id, assistant_name: name, calls: 0, input_tokens: 0, output_tokens: 0, answers: 0, handoffs: 0, cost_usd: 0, ...f })
const thisMonth = () => new Date().toISOString().slice(0, 7)
const monthBefore = (m) => {
  const [y, n] = m.split('-').map(Number)
  return n === 1 ? `${y - 1}-12` : `${y}-${String(n - 1).padStart(2, '0')}`
}

describe('captain report parts', () => {
  it('offers UTC months newest first across a year boundary, each with its UTC window', () => {
    // 2027-01-01 00:30 UTC: still 2026-12-31 in New York, already January in UTC (Captain's months are UTC)
    const now = Date.UTC(2027, 0, 1, 0, 30) / 1000
    expect(utcMonth(now)).toBe('2027-01')
    const months = monthChoices(now, 3)
    expect(months).toEqual([
      { value: '2027-01', label: 'January 2027' },
      { value: '2026-12', label: 'December 2026' },
      { value: '2026-11', label: 'November 2026' },
    ])
    expect(monthChoices(now)).toHaveLength(24)
    expect(monthWindow('2026-12')).toEqual({ since: Date.UTC(2026, 11, 1) / 1000, until: Date.UTC(2027, 0, 1) / 1000 })
    expect(monthWindow('2024-02').until - monthWindow('2024-02').since).toBe(29 * DAY) // a leap year's February
    expect(monthWindow('2026-13')).toBeNull()
    expect(monthLabel('2026-02')).toBe('February 2026')
  })

  it('says the cost against the budget, past it too, and nothing without a budget', () => {
    expect(budgetShare(0.42, 10)).toEqual({ percent: 4, bar: 4, reached: false, text: '$0.42 of $10.00 (4%)' })
    expect(budgetShare(12.5, 10)).toMatchObject({ percent: 125, bar: 100, reached: true })
    expect(budgetShare(0.001, 0)).toMatchObject({ percent: 100, reached: true, text: '$0.0010 of $0.00 (100%)' })
    expect(budgetShare(3, null)).toBeNull()
  })

  it('lists the month figures with input and output tokens apart and the bot figures (— when unread)', () => {
    const usage = usageOf({ current: { month: '2026-11', assistants: [], total: { calls: 1201, input_tokens: 100010, output_tokens: 20000, answers: 1100, handoffs: 100, cost_usd: 0.421 } } })
    const shown = (bots) => Object.fromEntries(captainFigures(usage, bots).map((f) => [f.key, f.text]))
    expect(shown({ bot_resolutions_count: 7, bot_handoffs_count: '3' })).toEqual({
      answers: '1,100', handoffs: '100', calls: '1,201', input: '100,010', output: '20,000', cost: '$0.42',
      bot_resolutions_count: '7', bot_handoffs_count: '3',
    })
    expect(shown(null)).toMatchObject({ bot_resolutions_count: '—', bot_handoffs_count: '—' })
  })

  it('asks the conversations export for the last 93 days of a longer range, with the offset and business hours', () => {
    const w = { since: 1000 * DAY - 19800, until: 1180 * DAY - 19800, days: 180, businessHours: true, offsetMinutes: 330 }
    expect(exportParams(w)).toEqual({
      params: { since: String(w.until - 93 * DAY), until: String(w.until), business_hours: 'true', timezone_offset: '5.5' },
      days: 93,
      clipped: true,
    })
    const short = { ...w, since: w.until - 30 * DAY, businessHours: false, offsetMinutes: 345 }
    expect(exportParams(short)).toEqual({ params: { since: String(short.since), until: String(w.until), timezone_offset: '5.75' }, days: 30, clipped: false })
  })
})

describe('captain report screen', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
    Object.assign(filter, { range: '30', from: '', to: '', groupBy: 'day', businessHours: false })
  })

  function server(budget = 1) {
    return {
      'GET /api/v1/accounts/1/captain/usage': (b, q) => {
        const month = q.month
        const figures = month === thisMonth()
          ? [row(3, 'Ava', { calls: 40, input_tokens: 30000, output_tokens: 4000, answers: 30, handoffs: 5, cost_usd: 0.75 }), row(9, null, { calls: 2, input_tokens: 100, cost_usd: 0.5 })]
          : [row(3, 'Ava', { calls: 1, input_tokens: 10, output_tokens: 2, answers: 1, cost_usd: 0.01 })]
        const total = figures.reduce((t, r) => ({ calls: t.calls + r.calls, input_tokens: t.input_tokens + r.input_tokens, output_tokens: t.output_tokens + r.output_tokens, answers: t.answers + r.answers, handoffs: t.handoffs + r.handoffs, cost_usd: t.cost_usd + r.cost_usd }),
          { calls: 0, input_tokens: 0, output_tokens: 0, answers: 0, handoffs: 0, cost_usd: 0 })
        return [200, { current: { month, assistants: figures, total }, previous: { month: monthBefore(month), assistants: [], total: { calls: 0, input_tokens: 0, output_tokens: 0, answers: 0, handoffs: 0, cost_usd: 0 } }, monthly_budget_usd: budget, budget_exhausted: total.cost_usd >= budget, rate_limit_per_minute: 60 }]
      },
      'GET /api/v2/accounts/1/reports/bot_summary': (b, q) => [200, { bot_resolutions_count: Number(q.since) % 7, bot_handoffs_count: 4, previous: { bot_resolutions_count: 0, bot_handoffs_count: 0 } }],
    }
  }

  it('shows a report_manage role the month per assistant against the budget, as figures and tables, and another month when picked', async () => {
    const { w, calls } = await mountAt(CaptainReport, '/app/accounts/1/reports/captain', server(), roleAgent(['report_manage']))
    const month = thisMonth()
    const [y, m] = month.split('-').map(Number)
    expect(calls.map((c) => [c.path, c.query])).toEqual([
      ['/api/v1/accounts/1/captain/usage', { month }],
      ['/api/v2/accounts/1/reports/bot_summary', { since: String(Date.UTC(y, m - 1, 1) / 1000), until: String(Date.UTC(y, m, 1) / 1000), type: 'account' }],
    ])
    const figure = (key) => w.get(`[data-testid="captain-figure-${key}"] [data-testid="captain-figure-value"]`).text()
    expect([figure('answers'), figure('handoffs'), figure('calls'), figure('input'), figure('output'), figure('cost')]).toEqual(['30', '5', '42', '30,100', '4,000', '$1.25'])
    expect(figure('bot_resolutions_count')).toBe(String((Date.UTC(y, m - 1, 1) / 1000) % 7))
    expect(figure('bot_handoffs_count')).toBe('4')
    expect(w.get('[data-testid="captain-report-budget-text"]').text()).toBe('$1.25 of $1.00 (125%)')
    expect(w.get('[data-testid="captain-report-budget-reached"]').text()).toContain('used up')

    const rows = w.findAll('[data-testid="captain-report-row"]')
    expect(rows.map((r) => r.attributes('data-assistant-id'))).toEqual(['3', '9'])
    expect(rows[0].get('th').text()).toBe('Ava')
    expect(rows[0].findAll('td').map((c) => c.text())).toEqual(['30', '5', '40', '30,000', '4,000', '$0.75', '75%'])
    expect(rows[1].get('th').text()).toBe('Deleted assistant 9')

    // every figure is in the table too (for screen readers; on screen with the toggle)
    const table = w.get('[data-testid="captain-report-table"]')
    expect(table.classes()).toContain('sr-only')
    expect(table.findAll('[data-testid="report-table-row"]').map((r) => [r.get('th').text(), r.get('td').text()])).toEqual([
      ['Answers', '30'], ['Handoffs', '5'], ['Model calls', '42'], ['Input tokens', '30,100'], ['Output tokens', '4,000'], ['Cost (USD)', '$1.25'],
      ['Bot resolutions (reports)', figure('bot_resolutions_count')], ['Bot handoffs (reports)', '4'],
    ])
    await w.get('[data-testid="captain-report-table-toggle"]').trigger('click')
    expect(w.get('[data-testid="captain-report-table"]').classes()).not.toContain('sr-only')

    const earlier = monthBefore(month)
    await w.get('[data-testid="captain-report-month"]').setValue(earlier)
    await flushPromises()
    expect(calls.slice(2).map((c) => c.query.month || c.query.since)).toEqual([earlier, String(monthWindow(earlier).since)])
    expect(figure('answers')).toBe('1')
    expect(w.get('[data-testid="captain-report-budget-text"]').text()).toBe('$0.01 of $1.00 (1%)')
    expect(w.find('[data-testid="captain-report-budget-reached"]').exists()).toBe(false)
    expect(w.get('[data-testid="captain-report-previous"]').text()).toContain(monthLabel(monthBefore(earlier)))
    w.unmount()
  })

  it('without a budget says so; the usage still shows when the bot figures cannot be read', async () => {
    const routes = server(null)
    routes['GET /api/v2/accounts/1/reports/bot_summary'] = () => [500, { error: 'down' }]
    const { w } = await mountAt(CaptainReport, '/app/accounts/1/reports/captain', routes, user('administrator'))
    expect(w.get('[data-testid="captain-report-no-budget"]').text()).toContain('$1.25 · no monthly budget set')
    expect(w.get('[data-testid="captain-figure-bot_handoffs_count"]').text()).toContain('—')
    expect(w.findAll('[data-testid="captain-report-row"]').map((r) => r.findAll('td').at(-1).text())).toEqual(['—', '—'])
    w.unmount()
  })

  it('a usage error is shown, not an empty month', async () => {
    const { w } = await mountAt(CaptainReport, '/app/accounts/1/reports/captain', {
      'GET /api/v1/accounts/1/captain/usage': () => [422, { message: 'month must be a month as YYYY-MM, e.g. 2026-11' }],
    }, user('administrator'))
    expect(w.get('[role="alert"]').text()).toContain('month must be a month')
    expect(w.find('[data-testid="captain-report-figures"]').exists()).toBe(false)
    w.unmount()
  })

  it('is routed for administrators and report_manage roles only', async () => {
    const fetchImpl = vi.fn(async () => new Response('{}'))
    for (const [person, name] of [[user('administrator'), 'reports-captain'], [roleAgent(['report_manage']), 'reports-captain'], [user('agent'), 'conversations'], [roleAgent(['knowledge_base_manage']), 'conversations']]) {
      setUser(person, false)
      const router = await routerAt('/app/accounts/1/reports/captain', fetchImpl)
      expect(router.currentRoute.value.name).toBe(name)
    }
  })
})

describe('per-conversation CSV', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
    Object.assign(filter, { range: '30', from: '', to: '', groupBy: 'day', businessHours: false })
  })

  it('downloads /reports/conversations_export for the range with the token; a long range is cut to its last 93 days, and said', async () => {
    Object.assign(filter, { range: 'custom', from: '2026-11-01', to: '2026-11-30', businessHours: true })
    const { w } = await mountAt(Conversations, '/app/accounts/1/reports/conversations', { 'GET /api/v2/accounts/1/reports': () => [200, []] }, roleAgent(['report_manage']))
    expect(w.find('[data-testid="report-conversations-csv-clipped"]').exists()).toBe(false)
    const seen = []
    globalThis.fetch = vi.fn(async (url, init) => {
      if (!url.includes('conversations_export')) return new Response('[]') // the chart's series
      seen.push({ url, token: init.headers.api_access_token })
      return seen.length === 1
        ? new Response('Reporting period\n', { status: 200, headers: { 'Content-Disposition': 'attachment; filename=conversations_report.csv' } })
        : new Response(JSON.stringify({ message: 'since..until may span at most 93 days' }), { status: 422 })
    })
    URL.createObjectURL = vi.fn(() => 'blob:x')
    URL.revokeObjectURL = vi.fn()
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      seen.push({ download: this.download })
    })
    await w.get('[data-testid="report-conversations-csv"]').trigger('click')
    await flushPromises()
    const since = new Date(2026, 10, 1).getTime() / 1000 // local midnights of the test's zone
    const until = new Date(2026, 11, 1).getTime() / 1000
    const offset = String(-new Date().getTimezoneOffset() / 60) // the section's offset: the browser's at page load
    expect(seen[0]).toEqual({ url: `/api/v2/accounts/1/reports/conversations_export?since=${since}&until=${until}&timezone_offset=${offset}&business_hours=true`, token: 't' })
    expect(seen[1]).toEqual({ download: 'conversations_report.csv' })

    // a refusal is shown
    await w.get('[data-testid="report-conversations-csv"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="report-conversations-csv-error"]').text()).toContain('93 days')

    filter.range = '180'
    await flushPromises()
    expect(w.get('[data-testid="report-conversations-csv-clipped"]').text()).toContain('last 93 days')
    w.unmount()
  })
})
