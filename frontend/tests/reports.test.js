import { afterEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { stopInbox } from '../src/dashboard/current.js'
import AppShell from '../src/dashboard/components/AppShell.vue'
import Overview from '../src/dashboard/reports/Overview.vue'
import ReportsSection from '../src/dashboard/views/Reports.vue'
import Breakdown from '../src/dashboard/reports/Breakdown.vue'
import Traffic from '../src/dashboard/reports/Traffic.vue'
import { filter } from '../src/dashboard/reports/filters.js'
import {
  DAY,
  dateToEpoch,
  distributionRows,
  delta,
  fileNameOf,
  formatDuration,
  groupFor,
  groupsFor,
  heatLevel,
  heatmapGrid,
  liveFigures,
  localMidnight,
  mergeSummaries,
  offsetParam,
  rangeOf,
  reportParams,
  seriesRows,
  seriesTotal,
  sparkPath,
  summaryFigures,
  summaryRows,
  windowParams,
} from '../src/dashboard/reports/model.js'

// 2026-12-05 10:20:00 UTC
const NOW = Date.UTC(2026, 11, 5, 10, 20) / 1000
const IST = 330 // India, +05:30
const NPT = 345 // Nepal, +05:45

describe('range and parameters', () => {
  it('sends the offset as Chatwoot does: hours, with half and quarter hours as decimals', () => {
    expect(offsetParam(330)).toBe('5.5')
    expect(offsetParam(345)).toBe('5.75')
    expect(offsetParam(-210)).toBe('-3.5')
    expect(offsetParam(0)).toBe('0')
    expect(() => offsetParam(5.5)).toThrow()
    expect(() => offsetParam(15 * 60)).toThrow()
  })

  it('starts a day at the local midnight of the offset', () => {
    // 10:20 UTC is 15:50 in India (same day) and 16:05 in Nepal
    expect(localMidnight(NOW, IST)).toBe(Date.UTC(2026, 11, 5) / 1000 - IST * 60)
    expect(localMidnight(NOW, NPT)).toBe(Date.UTC(2026, 11, 5) / 1000 - NPT * 60)
    // 20:00 UTC on the 5th is already the 6th in Nepal (01:45)
    const late = Date.UTC(2026, 11, 5, 20) / 1000
    expect(localMidnight(late, NPT)).toBe(Date.UTC(2026, 11, 6) / 1000 - NPT * 60)
    expect(localMidnight(late, -300)).toBe(Date.UTC(2026, 11, 5) / 1000 + 300 * 60)
  })

  it('makes a preset end with today (exclusive next midnight) and span its days', () => {
    const r = rangeOf({ range: '7' }, NOW, IST)
    expect(r.until).toBe(Date.UTC(2026, 11, 6) / 1000 - IST * 60)
    expect(r.since).toBe(r.until - 7 * DAY)
    expect(r.days).toBe(7)
    // both are multiples of 15 minutes, as the server floors them
    expect(r.since % 900).toBe(0)
    expect(rangeOf({ range: '30' }, NOW, NPT).since % 900).toBe(0)
  })

  it('makes a custom range of whole local days, refusing reversed, missing and over-long ones', () => {
    const r = rangeOf({ range: 'custom', from: '2026-11-01', to: '2026-11-30' }, NOW, NPT)
    expect(r).toEqual({ since: Date.UTC(2026, 10, 1) / 1000 - NPT * 60, until: Date.UTC(2026, 11, 1) / 1000 - NPT * 60, days: 30 })
    expect(rangeOf({ range: 'custom', from: '2026-11-30', to: '2026-11-01' }, NOW, 0).error).toMatch(/start date/)
    expect(rangeOf({ range: 'custom', from: '2026-02-30', to: '2026-03-01' }, NOW, 0).error).toMatch(/Choose a start/)
    expect(rangeOf({ range: 'custom', from: '', to: '2026-03-01' }, NOW, 0).error).toMatch(/Choose a start/)
    expect(rangeOf({ range: 'custom', from: '2024-01-01', to: '2026-01-01' }, NOW, 0).error).toMatch(/2 years/)
    expect(rangeOf({ range: 'custom', from: '2024-01-02', to: '2025-12-31' }, NOW, 0).days).toBe(730)
    expect(rangeOf({ range: 'nope' }, NOW, 0).error).toBeTruthy()
    expect(dateToEpoch('2026-12-05', 0)).toBe(Date.UTC(2026, 11, 5) / 1000)
  })

  it('offers only the groupings the API accepts and that make a chart', () => {
    expect(groupsFor(7).map((g) => g.key)).toEqual(['hour', 'day'])
    expect(groupsFor(31).map((g) => g.key)).toEqual(['hour', 'day', 'week'])
    expect(groupsFor(32).map((g) => g.key)).toEqual(['day', 'week'])
    expect(groupsFor(90).map((g) => g.key)).toEqual(['day', 'week', 'month'])
    expect(groupsFor(730).map((g) => g.key)).toEqual(['week', 'month', 'year'])
    expect(groupFor(90, 'hour')).toBe('day')
    expect(groupFor(730, 'day')).toBe('week')
    expect(groupFor(7, 'hour')).toBe('hour')
  })

  it('builds the /reports query with Chatwoot names, id only for a dimension, business hours only when on', () => {
    const w = { since: 100, until: 200, groupBy: 'day', offsetMinutes: NPT }
    expect(reportParams({ ...w, metric: 'conversations_count', businessHours: false })).toEqual({
      metric: 'conversations_count', since: '100', until: '200', type: 'account', group_by: 'day', timezone_offset: '5.75',
    })
    expect(reportParams({ ...w, metric: 'avg_first_response_time', businessHours: true, type: 'agent', id: 7 })).toEqual({
      metric: 'avg_first_response_time', since: '100', until: '200', type: 'agent', id: '7', group_by: 'day', timezone_offset: '5.75', business_hours: 'true',
    })
    expect(reportParams({ ...w, metric: 'x', type: 'account', id: 3 }).id).toBeUndefined()
    expect(windowParams({ since: 1, until: 2, businessHours: true }, { type: 'account' })).toEqual({ since: '1', until: '2', type: 'account', business_hours: 'true' })
    expect(windowParams({ since: 1, until: 2, businessHours: false })).toEqual({ since: '1', until: '2' })
  })
})

describe('series as a table', () => {
  it('labels each group in the local time zone, keeps empty values empty and sorts by time', () => {
    const day1 = Date.UTC(2026, 11, 1) / 1000 - IST * 60 // local midnight Dec 1 in India
    const rows = seriesRows(
      [
        { timestamp: day1 + DAY, value: '3' },
        { timestamp: day1, value: 2 },
        { timestamp: day1 + 2 * DAY, value: null },
        { timestamp: 'x', value: 1 },
      ],
      { metric: 'conversations_count', groupBy: 'day', offsetMinutes: IST },
    )
    expect(rows.map((r) => [r.label, r.value, r.text])).toEqual([
      ['2026-12-01', 2, '2'],
      ['2026-12-02', 3, '3'],
      ['2026-12-03', null, '—'],
    ])
    expect(seriesTotal(rows, 'conversations_count')).toBe(5)
  })

  it('shows times as durations and averages them over the groups that have one', () => {
    const t = Date.UTC(2026, 11, 1, 4) / 1000
    const rows = seriesRows([{ timestamp: t, value: '90.0' }, { timestamp: t + 3600, value: '3660' }, { timestamp: t + 7200, value: '' }], {
      metric: 'avg_first_response_time', groupBy: 'hour', offsetMinutes: NPT,
    })
    expect(rows.map((r) => [r.label, r.text])).toEqual([
      ['2026-12-01 09:45', '1m 30s'],
      ['2026-12-01 10:45', '1h 1m'],
      ['2026-12-01 11:45', '—'],
    ])
    expect(seriesTotal(rows, 'avg_first_response_time')).toBe(1875)
    expect(seriesTotal([], 'avg_first_response_time')).toBe(null)
  })

  it('labels weeks, months and years', () => {
    const t = Date.UTC(2026, 10, 30) / 1000
    expect(seriesRows([{ timestamp: t, value: 1 }], { metric: 'conversations_count', groupBy: 'week', offsetMinutes: 0 })[0].label).toBe('Week of 2026-11-30')
    expect(seriesRows([{ timestamp: t, value: 1 }], { metric: 'conversations_count', groupBy: 'month', offsetMinutes: 0 })[0].label).toBe('Nov 2026')
    expect(seriesRows([{ timestamp: t, value: 1 }], { metric: 'conversations_count', groupBy: 'year', offsetMinutes: 0 })[0].label).toBe('2026')
  })

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(59.6)).toBe('1m')
    expect(formatDuration(725)).toBe('12m 5s')
    expect(formatDuration(3 * 3600 + 20 * 60 + 7)).toBe('3h 20m')
    expect(formatDuration(2 * DAY + 4 * 3600)).toBe('2d 4h')
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration('abc')).toBe('—')
  })
})

describe('traffic heatmap', () => {
  it('puts each hour in its local day and hour, with every day of the range and zeros', () => {
    const since = Date.UTC(2026, 11, 1) / 1000 - NPT * 60 // Dec 1 00:00 in Nepal
    const until = since + 2 * DAY
    const series = [
      { timestamp: since, value: 2 }, // Dec 1 00:00 local
      { timestamp: since + 13 * 3600, value: '5' }, // Dec 1 13:00
      { timestamp: since + DAY + 23 * 3600, value: 1 }, // Dec 2 23:00
      { timestamp: until, value: 9 }, // outside the range
      { timestamp: since - 3600, value: 9 }, // outside the range
    ]
    const g = heatmapGrid(series, { since, until, offsetMinutes: NPT })
    expect(g.hours).toHaveLength(24)
    expect(g.days.map((d) => [d.date, d.label, d.total])).toEqual([
      ['2026-12-01', 'Tue 1 Dec', 7],
      ['2026-12-02', 'Wed 2 Dec', 1],
    ])
    expect(g.days[0].cells[0]).toBe(2)
    expect(g.days[0].cells[13]).toBe(5)
    expect(g.days[1].cells[23]).toBe(1)
    expect(g.days[1].cells.filter((c) => c === 0)).toHaveLength(23)
    expect(g.max).toBe(5)
  })

  it('shades cells by their quarter of the busiest hour', () => {
    expect(heatLevel(0, 8)).toBe(0)
    expect(heatLevel(1, 8)).toBe(1)
    expect(heatLevel(5, 8)).toBe(3)
    expect(heatLevel(8, 8)).toBe(4)
    expect(heatLevel(3, 0)).toBe(0)
  })
})

describe('overview', () => {
  it('computes the change against the previous period, lower being better for times', () => {
    const higher = { better: 'higher' }
    expect(delta(12, 10, higher)).toEqual({ pct: 20, text: '+20%', trend: 'up', good: true })
    expect(delta(5, 10, higher)).toEqual({ pct: -50, text: '-50%', trend: 'down', good: false })
    expect(delta('120.5', '241', { better: 'lower' })).toEqual({ pct: -50, text: '-50%', trend: 'down', good: true })
    expect(delta(300, 200, { better: 'lower' }).good).toBe(false)
    expect(delta(5, 10)).toEqual({ pct: -50, text: '-50%', trend: 'down', good: null }) // neither is better
    expect(delta(7, 7, higher)).toEqual({ pct: 0, text: '0%', trend: 'same', good: null })
    expect(delta(3, 0, higher)).toEqual({ pct: null, text: 'new', trend: 'up', good: true })
    expect(delta(3, 0, { better: 'lower' })).toEqual({ pct: null, text: '—', trend: null, good: null }) // no previous average
    expect(delta(3, 0).good).toBe(null)
    expect(delta(0, 0)).toEqual({ pct: 0, text: '0%', trend: 'same', good: null })
    expect(delta(null, 3).text).toBe('—')
  })

  it('shows the summary figures the server answered, with their previous values', () => {
    const figs = summaryFigures({
      conversations_count: 4, avg_first_response_time: '600.0', resolutions_count: 2,
      previous: { conversations_count: 2, avg_first_response_time: '1200.0', resolutions_count: 0 },
    })
    expect(figs.map((f) => [f.key, f.text, f.previousText, f.delta.text])).toEqual([
      ['conversations_count', '4', '2', '+100%'],
      ['avg_first_response_time', '10m', '20m', '-50%'],
      ['resolutions_count', '2', '0', 'new'],
    ])
    expect(figs[1].delta.good).toBe(true)
    expect(figs[0].delta.good).toBe(null)
    expect(figs[2].delta.good).toBe(true)
    expect(summaryFigures(null)).toEqual([])
    const both = summaryFigures(mergeSummaries({ conversations_count: 2, previous: { conversations_count: 1 } }, { bot_handoffs_count: 3, previous: { bot_handoffs_count: 0 } }))
    expect(both.map((f) => [f.key, f.text, f.previousText])).toEqual([['conversations_count', '2', '1'], ['bot_handoffs_count', '3', '0']])
    expect(mergeSummaries({ a: 1 }, null)).toEqual({ a: 1, previous: {} })
    expect(liveFigures({ unassigned: 2, open: '5', extra: 1 })).toEqual([
      { key: 'open', label: 'Open', value: 5 },
      { key: 'unassigned', label: 'Unassigned', value: 2 },
    ])
  })
})

describe('breakdown tables', () => {
  it('names agent rows from the agents list and formats the figures', () => {
    const rows = summaryRows(
      'agent',
      [
        { id: 2, conversations_count: 3, resolved_conversations_count: 1, avg_first_response_time: 90, avg_resolution_time: null, avg_reply_time: '30' },
        { id: 9, conversations_count: null, resolved_conversations_count: null },
      ],
      [{ id: 2, name: 'Zed', available_name: 'Zed A.' }],
    )
    expect(rows.map((r) => [r.id, r.name, r.cells.map((c) => c.text)])).toEqual([
      [9, '#9', ['0', '0', '—', '—', '—']],
      [2, 'Zed A.', ['3', '1', '1m 30s', '—', '30s']],
    ])
  })

  it('reads the channel report keyed by channel type', () => {
    const rows = summaryRows('channel', { 'Channel::WebWidget': { open: 1, resolved: 2, pending: 0, snoozed: 0, total: 3 }, 'Channel::Api': { open: 4, total: 4 } }, null)
    expect(rows.map((r) => [r.id, r.name, r.cells.map((c) => c.text)])).toEqual([
      ['Channel::Api', 'API', ['4', '0', '0', '0', '4']],
      ['Channel::WebWidget', 'Website', ['1', '0', '0', '2', '3']],
    ])
  })

  it('reads the first response distribution per channel, buckets in the server order', () => {
    const d = distributionRows({ 'Channel::WebWidget': { '0-1h': 3, '1-4h': 1, '4-8h': 0, '8-24h': 0, '24h+': 2 }, 'Channel::Api': { '0-1h': 1 } })
    expect(d.columns).toEqual(['0-1h', '1-4h', '4-8h', '8-24h', '24h+'])
    expect(d.rows).toEqual([
      { id: 'Channel::Api', name: 'API', cells: [1, 0, 0, 0, 0], total: 1 },
      { id: 'Channel::WebWidget', name: 'Website', cells: [3, 1, 0, 0, 2], total: 6 },
    ])
    expect(distributionRows([])).toEqual({ columns: [], rows: [] })
  })

  it('draws a sparkline through the values and names downloads', () => {
    expect(sparkPath([0, 2, 1], 96, 24)).toBe('M0.0 23.0 L48.0 1.0 L96.0 12.0')
    expect(sparkPath([0, 0], 96, 24)).toBe('M0.0 23.0 L96.0 23.0')
    expect(sparkPath([])).toBe('')
    expect(fileNameOf('attachment; filename=agents_report.csv', 'x.csv')).toBe('agents_report.csv')
    expect(fileNameOf('attachment; filename="teams report.csv"', 'x.csv')).toBe('teams report.csv')
    expect(fileNameOf(null, 'x.csv')).toBe('x.csv')
  })
})

const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })

describe('reports screens', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
    Object.assign(filter, { range: '30', from: '', to: '', groupBy: 'day', businessHours: false })
  })

  it('the nav entry and the section are for administrators and report_manage roles; nobody else', async () => {
    const fetchImpl = vi.fn(async () => new Response('[]'))
    const cases = [
      [user('administrator'), '/app/accounts/1/reports', 'reports-overview', true],
      [roleAgent(['report_manage']), '/app/accounts/1/reports/agents', 'reports-agents', true],
      [user('agent'), '/app/accounts/1/reports/overview', 'conversations', false],
      [roleAgent(['conversation_manage', 'contact_manage']), '/app/accounts/1/reports', 'conversations', false],
    ]
    for (const [person, path, name, nav] of cases) {
      setUser(person, false)
      const router = await routerAt(path, fetchImpl)
      expect(router.currentRoute.value.name, path).toBe(name)
      const w = mount(AppShell, { global: { plugins: [router] } })
      expect(w.find('[data-testid="nav-reports"]').exists()).toBe(nav)
      if (nav) expect(w.get('[data-testid="nav-reports"]').attributes('href')).toBe('/app/accounts/1/reports')
      w.unmount()
      stopInbox()
    }
  })

  it('the section lists every routed screen, the current one marked', async () => {
    const { w } = await mountAt(ReportsSection, '/app/accounts/1/reports/traffic', () => new Response('[]'), user('administrator'))
    // (mounted directly, the view's RouterView shows the section again inside: look at the outer nav)
    const links = w.get('.settings-nav').findAll('a')
    expect(links.map((a) => a.attributes('data-testid'))).toEqual([
      'reports-nav-overview', 'reports-nav-conversations', 'reports-nav-traffic', 'reports-nav-agents', 'reports-nav-inboxes',
      'reports-nav-teams', 'reports-nav-labels', 'reports-nav-channels', 'reports-nav-csat', 'reports-nav-sla', 'reports-nav-captain',
    ])
    expect(w.get('[data-testid="reports-nav-traffic"]').attributes('aria-current')).toBe('page')
    expect(w.get('[data-testid="reports-nav-sla"]').attributes('href')).toBe('/app/accounts/1/reports/sla')
    w.unmount()
    stopInbox()
  })

  it('the overview shows the summary with its deltas and the live counts, asking for the chosen window', async () => {
    Object.assign(filter, { range: 'custom', from: '2026-11-01', to: '2026-11-30', businessHours: true })
    const { w, calls } = await mountAt(Overview, '/app/accounts/1/reports/overview', {
      'GET /api/v2/accounts/1/reports/summary': () => [200, { conversations_count: 6, avg_first_response_time: '90.0', previous: { conversations_count: 4, avg_first_response_time: '45.0' } }],
      'GET /api/v2/accounts/1/reports/bot_summary': () => [200, { bot_resolutions_count: 1, bot_handoffs_count: 2, previous: { bot_resolutions_count: 2, bot_handoffs_count: 2 } }],
      'GET /api/v2/accounts/1/reports/conversations': (b, q) => [200, q.type === 'agent' ? [{ id: 2, name: 'Ada', availability: 'online', metric: { open: 3, unattended: 1 } }] : { open: 5, unattended: 2, unassigned: 1, pending: 0 }],
    }, user('administrator'))
    const summary = calls.find((c) => c.path.endsWith('/reports/summary'))
    const since = new Date(2026, 10, 1).getTime() / 1000 // the test's local midnight
    expect(summary.query).toEqual({ since: String(since), until: String(new Date(2026, 11, 1).getTime() / 1000), type: 'account', business_hours: 'true' })
    expect(w.get('[data-testid="summary-conversations_count"] [data-testid="summary-value"]').text()).toBe('6')
    expect(w.get('[data-testid="summary-conversations_count"] [data-testid="summary-delta"]').text()).toContain('+50%')
    expect(w.get('[data-testid="summary-avg_first_response_time"] [data-testid="summary-value"]').text()).toBe('1m 30s')
    expect(w.get('[data-testid="summary-avg_first_response_time"] [data-testid="summary-delta"]').classes()).toContain('is-bad')
    expect(w.get('[data-testid="summary-bot_resolutions_count"] [data-testid="summary-delta"]').text()).toContain('-50%')
    expect(w.get('[data-testid="summary-bot_handoffs_count"] [data-testid="summary-value"]').text()).toBe('2')
    expect(calls.find((c) => c.path.endsWith('/reports/bot_summary')).query).toEqual(summary.query)
    expect(w.get('[data-testid="live-open"] [data-testid="live-value"]').text()).toBe('5')
    expect(w.get('[data-testid="live-unattended"] [data-testid="live-value"]').text()).toBe('2')
    expect(w.get('[data-testid="report-live-agents"]').text()).toContain('Ada')
    w.unmount()
  })

  it('a breakdown table names its rows, asks a sparkline per row and shows it as a table too', async () => {
    const { w, calls } = await mountAt(Breakdown, '/app/accounts/1/reports/inboxes', {
      'GET /api/v2/accounts/1/summary_reports/inbox': () => [200, [{ id: 4, conversations_count: 2, resolved_conversations_count: 1, avg_first_response_time: 60, avg_resolution_time: 7200, avg_reply_time: null }]],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [{ id: 4, name: 'Website' }] }],
      'GET /api/v2/accounts/1/reports': () => [200, [{ timestamp: 1764547200, value: 2 }]],
    }, user('administrator'))
    const row = w.get('[data-testid="report-row"]')
    expect(row.text()).toContain('Website')
    expect(row.findAll('td[data-key]').map((c) => c.text())).toEqual(['2', '1', '1m', '2h', '—'])
    const spark = calls.find((c) => c.path === '/api/v2/accounts/1/reports')
    expect(spark.query).toMatchObject({ metric: 'conversations_count', type: 'inbox', id: '4', group_by: 'day' })
    expect(row.get('[data-testid="report-sparkline"] table').text()).toContain('2')
    expect(w.find('[data-testid="report-csv"]').exists()).toBe(true)
    w.unmount()
  })

  it('the traffic screen draws the hourly series as a day × hour table and downloads the CSV with the token', async () => {
    Object.assign(filter, { range: 'custom', from: '2026-11-01', to: '2026-11-02' })
    const since = new Date(2026, 10, 1).getTime() / 1000
    const { w, calls } = await mountAt(Traffic, '/app/accounts/1/reports/traffic', {
      'GET /api/v2/accounts/1/reports': () => [200, [{ timestamp: since + 9 * 3600, value: 3 }, { timestamp: since + 86400 + 14 * 3600, value: '1' }]],
    }, user('administrator'))
    expect(calls.map((c) => c.path)).toEqual(['/api/v2/accounts/1/reports'])
    expect(calls[0].query).toMatchObject({ metric: 'conversations_count', group_by: 'hour', since: String(since), until: String(since + 2 * 86400) })
    const days = w.findAll('[data-testid="heatmap-day"]')
    expect(days.map((d) => d.attributes('data-date'))).toEqual(['2026-11-01', '2026-11-02'])
    expect(days[0].get('td[data-hour="9"]').text()).toBe('3')
    expect(days[0].get('td[data-hour="9"]').classes()).toContain('r-heat-4')
    expect(days[1].get('td[data-hour="14"]').text()).toBe('1')
    expect(days[1].get('[data-testid="heatmap-total"]').text()).toBe('1')

    const seen = []
    globalThis.fetch = vi.fn(async (url, init) => {
      seen.push({ url, token: init.headers.api_access_token })
      return new Response('Start of the hour,Count\n', { status: 200, headers: { 'Content-Disposition': 'attachment; filename=conversation_traffic_reports.csv' } })
    })
    URL.createObjectURL = vi.fn(() => 'blob:x')
    URL.revokeObjectURL = vi.fn()
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      seen.push({ download: this.download })
    })
    await w.get('[data-testid="report-csv"]').trigger('click')
    await new Promise((r) => setTimeout(r, 0))
    await new Promise((r) => setTimeout(r, 0))
    expect(seen[0].url).toMatch(/^\/api\/v2\/accounts\/1\/reports\/conversation_traffic\?since=\d+&until=\d+&timezone_offset=/)
    expect(seen[0].token).toBe('t')
    expect(clicked).toHaveBeenCalled()
    expect(seen[1]).toEqual({ download: 'conversation_traffic_reports.csv' })
    w.unmount()
  })
})
