// Reports > SLA (src/dashboard/reports/SlaReport.vue) mounted at its route. The screen lives
// in the Reports section (its shared filter, table and frame come with it); until that
// section is in the tree this file has nothing to mount and is skipped.
import { describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, user } from './screen.js'

const section = import.meta.glob('../src/dashboard/reports/ReportFilters.vue')

describe.skipIf(!Object.keys(section).length)('SLA report', () => {
  it('shows metrics, the figures table and the missed rows', async () => {
    const { default: SlaReport } = await import('../src/dashboard/reports/SlaReport.vue')
    const { w, calls } = await mountAt(SlaReport, '/app/accounts/1/reports/sla', {
      'GET /api/v1/accounts/1/applied_slas/metrics': () => [200, { total_applied_slas: 4, number_of_sla_misses: 1, hit_rate: '75.0%' }],
      'GET /api/v1/accounts/1/applied_slas': () => [200, { payload: [{ applied_sla: { id: 9, sla_name: 'Gold', created_at: 1764866145 }, conversation: { id: 12, contact: { name: 'Zoe' }, labels: [] }, sla_events: [{ id: 1, event_type: 'frt' }] }], meta: { count: 1, current_page: 1 } }],
      'GET /api/v1/accounts/1/sla_policies': () => [200, { payload: [{ id: 3, name: 'Gold' }] }],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [] }],
      'GET /api/v1/accounts/1/teams': () => [200, []],
    }, user('administrator'))
    await flushPromises()
    expect(w.find('[data-testid="sla-total"]').text()).toBe('4')
    expect(w.find('[data-testid="sla-hit-rate"]').text()).toBe('75.0%')
    expect(w.findAll('[data-testid="sla-missed-row"]').length).toBe(1)
    expect(w.find('[data-testid="sla-missed-row"]').text()).toContain('First response')
    expect(w.find('[data-testid="sla-figures"]').text()).toContain('Hit rate')
    const asked = calls.find((c) => c.path.endsWith('/applied_slas/metrics'))
    expect(Number(asked.query.until)).toBeGreaterThan(Number(asked.query.since))
  })
})
