import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

// The panel reads definitions and teams through the session's api: answer both here.
vi.mock('../src/dashboard/attributeDefinitions.js', () => ({
  loadDefinitions: vi.fn(async () => [
    { id: 1, attribute_key: 'tier', attribute_display_name: 'Tier', attribute_display_type: 'list', attribute_values: ['gold', 'silver'], attribute_model: 'conversation_attribute' },
    { id: 2, attribute_key: 'vip', attribute_display_name: 'VIP', attribute_display_type: 'checkbox', attribute_model: 'conversation_attribute' },
  ]),
  forgetDefinitions: vi.fn(),
}))
vi.mock('../src/dashboard/session.js', async (orig) => ({ ...(await orig()), api: { get: vi.fn(async () => [{ id: 9, name: 'Sales' }]) } }))

const { default: FilterPanel } = await import('../src/dashboard/components/FilterPanel.vue')

function setup({ query = null, apply = vi.fn(async () => true) } = {}) {
  const filters = { state: { query, view: null, edited: null }, apply }
  const store = { state: { agents: [{ id: 7, name: 'Ada' }], inboxes: { 3: { id: 3, name: 'Web' } }, labels: [] }, loadLabels: vi.fn(async () => [{ title: 'billing' }]) }
  const w = mount(FilterPanel, { props: { filters, store, accountId: 1 }, attachTo: document.body })
  return { w, filters }
}
const rows = (w) => w.findAll('[data-testid="filter-row"]')

describe('the filter panel', () => {
  it('builds conditions with typed inputs and applies the payload', async () => {
    const { w, filters } = setup()
    await flushPromises()
    expect(rows(w)).toHaveLength(1)
    const attrOptions = rows(w)[0].findAll('[data-testid="filter-attribute"] option').map((o) => o.element.value)
    expect(attrOptions).toEqual(expect.arrayContaining(['status', 'team_id', 'tier', 'vip']))
    // Blank value: a message, nothing applied.
    await w.find('form').trigger('submit')
    expect(w.find('[data-testid="filter-error"]').text()).toBe('Status: choose a value.')
    expect(filters.apply).not.toHaveBeenCalled()

    await rows(w)[0].find('[data-testid="filter-value"]').setValue('pending')
    await w.find('[data-testid="filter-add"]').trigger('click')
    const second = rows(w)[1]
    await second.find('[data-testid="filter-attribute"]').setValue('created_at')
    expect(second.find('[data-testid="filter-operator"]').element.value).toBe('is_greater_than')
    expect(second.find('[data-testid="filter-value"]').attributes('type')).toBe('date')
    await second.find('[data-testid="filter-operator"]').setValue('days_before')
    expect(second.find('[data-testid="filter-value"]').attributes('type')).toBe('number')
    await second.find('[data-testid="filter-value"]').setValue('7')
    await w.find('[data-testid="filter-join"]').setValue('or')
    await w.find('[data-testid="filter-add"]').trigger('click')
    await rows(w)[2].find('[data-testid="filter-attribute"]').setValue('vip')
    expect(rows(w)[2].find('[data-testid="filter-value"]').attributes('type')).toBe('checkbox')
    await rows(w)[2].find('[data-testid="filter-remove"]').trigger('click')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(filters.apply.mock.calls[0][0]).toEqual({
      payload: [
        { attribute_key: 'status', filter_operator: 'equal_to', values: ['pending'], query_operator: 'or', attribute_model: 'standard' },
        { attribute_key: 'created_at', filter_operator: 'days_before', values: ['7'], query_operator: null, attribute_model: 'standard' },
      ],
    })
    expect(filters.apply.mock.calls[0][1]).toEqual({ edited: null })
    expect(w.emitted('close')).toHaveLength(1)
    w.unmount()
  })

  it("opens with the applied filter and shows the server's refusal", async () => {
    const query = { payload: [{ attribute_key: 'tier', filter_operator: 'equal_to', values: ['gold'], query_operator: null, custom_attribute_type: 'conversation_attribute' }] }
    const apply = vi.fn(async () => {
      throw Object.assign(new Error('Invalid attribute key - [tier]'), { status: 422 })
    })
    const { w } = setup({ query, apply })
    await flushPromises()
    expect(rows(w)).toHaveLength(1)
    expect(rows(w)[0].find('[data-testid="filter-attribute"]').element.value).toBe('tier')
    expect(rows(w)[0].find('[data-testid="filter-value"]').element.value).toBe('gold')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="filter-error"]').text()).toBe('Invalid attribute key - [tier]')
    expect(w.emitted('close')).toBeUndefined()
    w.unmount()
  })
})
