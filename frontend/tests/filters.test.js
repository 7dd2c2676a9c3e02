import { describe, expect, it, vi } from 'vitest'
import { createApi } from '../src/shared/api.js'
import {
  FilterError,
  attributesFor,
  buildPayload,
  describe as describeQuery,
  inputFor,
  newRow,
  operatorsFor,
  optionsFor,
  retarget,
  rowsFromPayload,
  serializeValue,
} from '../src/dashboard/filters.js'
import { definitionBody, displayValue, inputFromValue, keyFromName, parseListValues, valueFromInput, withValue } from '../src/dashboard/attributeValues.js'
import { createFilterSession, resultOf } from '../src/dashboard/conversationFilter.js'

const DEFS = [
  { id: 1, attribute_key: 'tier', attribute_display_name: 'Tier', attribute_display_type: 'list', attribute_values: ['gold', 'silver'], attribute_model: 'conversation_attribute' },
  { id: 2, attribute_key: 'order_total', attribute_display_name: 'Order total', attribute_display_type: 'currency', attribute_model: 'conversation_attribute' },
  { id: 3, attribute_key: 'vip', attribute_display_name: 'VIP', attribute_display_type: 'checkbox', attribute_model: 'conversation_attribute' },
  { id: 4, attribute_key: 'renewal', attribute_display_name: 'Renewal', attribute_display_type: 'date', attribute_model: 'conversation_attribute' },
  { id: 5, attribute_key: 'ref', attribute_display_name: 'Ref', attribute_display_type: 'text', attribute_model: 'conversation_attribute' },
  { id: 6, attribute_key: 'plan', attribute_display_name: 'Plan', attribute_display_type: 'text', attribute_model: 'contact_attribute' },
]
const ATTRS = attributesFor(DEFS)
const attr = (key) => ATTRS.find((a) => a.key === key)
const row = (attribute, operator, value, join = 'and') => ({ attribute, operator, value, join })

describe('filter attributes and operators', () => {
  it('lists the standard attributes and only the conversation custom attributes', () => {
    const keys = ATTRS.map((a) => a.key)
    expect(keys.slice(0, 8)).toEqual(['status', 'assignee_id', 'inbox_id', 'team_id', 'priority', 'labels', 'created_at', 'last_activity_at'])
    expect(keys).toContain('tier')
    expect(keys).not.toContain('plan') // a contact attribute
    expect(attr('tier')).toMatchObject({ custom: true, kind: 'list', values: ['gold', 'silver'] })
  })

  it('offers the operators each type takes', () => {
    expect(operatorsFor(attr('status'))).toEqual(['equal_to', 'not_equal_to'])
    expect(operatorsFor(attr('assignee_id'))).toEqual(['equal_to', 'not_equal_to', 'is_present', 'is_not_present'])
    expect(operatorsFor(attr('created_at'))).toEqual(['is_greater_than', 'is_less_than', 'days_before'])
    expect(operatorsFor(attr('ref'))).toContain('contains')
    expect(operatorsFor(attr('order_total'))).toEqual(expect.arrayContaining(['is_greater_than', 'is_less_than']))
    expect(operatorsFor(attr('order_total'))).not.toContain('contains')
    expect(operatorsFor(attr('vip'))).toEqual(['equal_to', 'not_equal_to'])
    expect(operatorsFor(attr('tier'))).not.toContain('is_greater_than')
    expect(operatorsFor(attr('renewal'))).not.toContain('days_before') // not for custom dates
  })

  it('picks the input for the type and operator', () => {
    expect(inputFor(attr('status'), 'equal_to')).toBe('select')
    expect(inputFor(attr('tier'), 'equal_to')).toBe('select')
    expect(inputFor(attr('tier'), 'is_present')).toBe('none')
    expect(inputFor(attr('created_at'), 'is_less_than')).toBe('date')
    expect(inputFor(attr('created_at'), 'days_before')).toBe('days')
    expect(inputFor(attr('order_total'), 'is_greater_than')).toBe('number')
    expect(inputFor(attr('vip'), 'equal_to')).toBe('checkbox')
    expect(inputFor(attr('ref'), 'contains')).toBe('text')
  })

  it('fills selects from what the dashboard loaded', () => {
    const ctx = { agents: [{ id: 7, name: 'Ada', available_name: 'Ada L.' }], inboxes: { 3: { id: 3, name: 'Web' } }, teams: [{ id: 9, name: 'Sales' }], labels: [{ title: 'billing' }, 'vip'] }
    expect(optionsFor(attr('assignee_id'), ctx)).toEqual([{ value: '7', label: 'Ada L.' }])
    expect(optionsFor(attr('inbox_id'), ctx)).toEqual([{ value: '3', label: 'Web' }])
    expect(optionsFor(attr('team_id'), ctx)).toEqual([{ value: '9', label: 'Sales' }])
    expect(optionsFor(attr('labels'), ctx).map((o) => o.value)).toEqual(['billing', 'vip'])
    expect(optionsFor(attr('status')).map((o) => o.value)).toEqual(['open', 'pending', 'resolved', 'snoozed'])
    expect(optionsFor(attr('tier')).map((o) => o.value)).toEqual(['gold', 'silver'])
  })

  it('keeps the operator when the new attribute takes it, and resets a value that no longer fits', () => {
    const r = newRow(ATTRS)
    expect(r).toMatchObject({ attribute: 'status', operator: 'equal_to', value: '' })
    r.value = 'open'
    r.operator = 'not_equal_to'
    retarget(r, ATTRS)
    expect(r).toMatchObject({ operator: 'not_equal_to', value: 'open' }) // same attribute and input: kept
    r.attribute = 'priority'
    retarget(r, ATTRS, { attributeChanged: true })
    expect(r).toMatchObject({ operator: 'not_equal_to', value: '' }) // "open" is no priority
    r.attribute = 'created_at'
    retarget(r, ATTRS, { attributeChanged: true })
    expect(r).toMatchObject({ operator: 'is_greater_than', value: '' })
    r.value = '2024-01-01'
    r.operator = 'days_before'
    retarget(r, ATTRS)
    expect(r.value).toBe('') // a date is no number of days
    r.attribute = 'vip'
    retarget(r, ATTRS, { attributeChanged: true })
    expect(r).toMatchObject({ operator: 'equal_to', value: true })
  })
})

describe('the payload', () => {
  it("serialises values as Chatwoot's dashboard sends them", () => {
    expect(serializeValue(attr('status'), 'equal_to', 'open')).toEqual(['open'])
    expect(serializeValue(attr('assignee_id'), 'equal_to', '7')).toEqual([7]) // ids as numbers
    expect(serializeValue(attr('labels'), 'equal_to', 'billing')).toEqual(['billing'])
    expect(serializeValue(attr('assignee_id'), 'is_not_present', 'ignored')).toEqual([])
    expect(serializeValue(attr('created_at'), 'is_greater_than', '2024-05-31')).toEqual(['2024-05-31'])
    expect(serializeValue(attr('order_total'), 'is_greater_than', ' 10.50 ')).toEqual(['10.5'])
    expect(serializeValue(attr('vip'), 'equal_to', false)).toEqual([false])
    expect(serializeValue(attr('vip'), 'equal_to', true)).toEqual([true])
    expect(serializeValue(attr('ref'), 'contains', '  AB-1 ')).toEqual(['AB-1'])
  })

  it('takes days_before as a whole number of days', () => {
    expect(serializeValue(attr('last_activity_at'), 'days_before', '3')).toEqual(['3'])
    expect(serializeValue(attr('last_activity_at'), 'days_before', 0)).toEqual(['0'])
    for (const bad of ['', '-1', '2.5', 'three', '36501']) {
      expect(() => serializeValue(attr('last_activity_at'), 'days_before', bad)).toThrow(FilterError)
    }
  })

  it('refuses blank and malformed values with a message naming the attribute', () => {
    expect(() => serializeValue(attr('status'), 'equal_to', '')).toThrow('Status: choose a value.')
    expect(() => serializeValue(attr('created_at'), 'is_less_than', '2024-02-30')).toThrow('Created: enter a date')
    expect(() => serializeValue(attr('created_at'), 'is_less_than', '31/05/2024')).toThrow(FilterError)
    expect(() => serializeValue(attr('order_total'), 'equal_to', 'ten')).toThrow('Order total: enter a number.')
    expect(() => serializeValue(attr('ref'), 'equal_to', '   ')).toThrow('Ref: enter a value.')
  })

  it('joins rows with and / or, the last one with null, and marks custom attributes', () => {
    const { payload } = buildPayload([row('status', 'equal_to', 'open', 'or'), row('tier', 'equal_to', 'gold', 'and'), row('vip', 'equal_to', true, 'or')], ATTRS)
    expect(payload).toEqual([
      { attribute_key: 'status', filter_operator: 'equal_to', values: ['open'], query_operator: 'or', attribute_model: 'standard' },
      { attribute_key: 'tier', filter_operator: 'equal_to', values: ['gold'], query_operator: 'and', attribute_model: 'customAttributes', custom_attribute_type: 'conversation_attribute' },
      { attribute_key: 'vip', filter_operator: 'equal_to', values: [true], query_operator: null, attribute_model: 'customAttributes', custom_attribute_type: 'conversation_attribute' },
    ])
  })

  it('says which row is wrong', () => {
    expect(() => buildPayload([], ATTRS)).toThrow('Add at least one condition.')
    try {
      buildPayload([row('status', 'equal_to', 'open'), row('created_at', 'days_before', 'x')], ATTRS)
      throw new Error('no error')
    } catch (err) {
      expect(err).toBeInstanceOf(FilterError)
      expect(err.index).toBe(1)
    }
    expect(() => buildPayload([row('nope', 'equal_to', 'x')], ATTRS)).toThrow('Choose an attribute.')
    expect(() => buildPayload([row('vip', 'contains', true)], ATTRS)).toThrow('VIP: choose an operator.')
  })

  it('turns a saved query back into rows, and the rows into the same payload', () => {
    const query = buildPayload([row('assignee_id', 'equal_to', '7', 'or'), row('last_activity_at', 'days_before', '5'), row('vip', 'not_equal_to', false)], ATTRS)
    const rows = rowsFromPayload(query, ATTRS)
    expect(rows.map(({ attribute, operator, value, join }) => ({ attribute, operator, value, join }))).toEqual([
      { attribute: 'assignee_id', operator: 'equal_to', value: '7', join: 'or' },
      { attribute: 'last_activity_at', operator: 'days_before', value: '5', join: 'and' },
      { attribute: 'vip', operator: 'not_equal_to', value: false, join: 'and' },
    ])
    expect(buildPayload(rows, ATTRS)).toEqual(query)
    // Chatwoot's upper-case operators and a deleted attribute's key survive.
    const old = rowsFromPayload({ payload: [{ attribute_key: 'gone', filter_operator: 'equal_to', values: ['x'], query_operator: 'OR' }, { attribute_key: 'status', filter_operator: 'equal_to', values: ['open'] }] }, ATTRS)
    expect(old[0]).toMatchObject({ attribute: 'gone', value: 'x', join: 'or' })
    expect(rowsFromPayload(null, ATTRS)).toEqual([])
  })

  it('describes the applied filter in words', () => {
    const query = buildPayload([row('status', 'equal_to', 'open', 'and'), row('tier', 'equal_to', 'gold', 'or'), row('created_at', 'days_before', '3')], ATTRS)
    expect(describeQuery(query, ATTRS)).toBe('Status is Open and Tier is gold or Created is more than 3 days ago')
    const who = buildPayload([row('assignee_id', 'equal_to', '7')], ATTRS)
    expect(describeQuery(who, ATTRS, { agents: [{ id: 7, name: 'Ada' }] })).toBe('Assignee is Ada')
  })
})

describe('custom attribute helpers', () => {
  it('derives the key from the name', () => {
    expect(keyFromName('Order number (EU)')).toBe('order_number_eu')
    expect(keyFromName('  Café Größe ')).toBe('cafe_gro_e')
    expect(keyFromName('***')).toBe('')
  })

  it('builds the definition body and checks it', () => {
    const draft = { name: 'Tier', key: 'tier', model: 'conversation_attribute', type: 'list', description: '', values: 'gold, silver,gold,, bronze', pattern: '^x$', cue: '' }
    expect(definitionBody(draft).body).toEqual({
      attribute_display_name: 'Tier',
      attribute_display_type: 'list',
      attribute_description: '',
      attribute_key: 'tier',
      attribute_model: 'conversation_attribute',
      attribute_values: ['gold', 'silver', 'bronze'], // pattern only for text
    })
    expect(definitionBody({ ...draft, values: ' , ' }).error).toBe('A list needs at least one value.')
    expect(definitionBody({ ...draft, key: 'Tier!' }).error).toMatch(/lower-case/)
    expect(definitionBody({ ...draft, key: 'status' }).error).toMatch(/built-in/)
    expect(definitionBody({ ...draft, key: 'status', model: 'contact_attribute' }).error).toBeUndefined()
    expect(definitionBody({ ...draft, name: ' ' }).error).toBe('Give the attribute a name.')
    const text = { ...draft, type: 'text', pattern: '^[A-Z]{2}\\d+$', cue: 'Two letters, then digits' }
    expect(definitionBody(text).body).toMatchObject({ regex_pattern: '^[A-Z]{2}\\d+$', regex_cue: 'Two letters, then digits' })
    expect(definitionBody({ ...text, pattern: '([' }).error).toMatch(/not a valid regular expression/)
    // Editing: no key or model; optional fields cleared explicitly.
    const edit = definitionBody({ ...draft, type: 'number' }, { creating: false }).body
    expect(edit).toEqual({ attribute_display_name: 'Tier', attribute_display_type: 'number', attribute_description: '', attribute_values: [], regex_pattern: null, regex_cue: null })
    expect(parseListValues('a\nb, a')).toEqual(['a', 'b'])
  })

  it('converts typed input values', () => {
    expect(valueFromInput('number', '42')).toBe(42)
    expect(valueFromInput('currency', '9.99')).toBe(9.99)
    expect(valueFromInput('number', 'abc')).toBe('abc') // the server says why not
    expect(valueFromInput('text', '  ')).toBe(null)
    expect(valueFromInput('checkbox', false)).toBe(false)
    expect(valueFromInput('date', '2024-05-31')).toBe('2024-05-31')
    expect(inputFromValue('date', '2024-05-31T10:00:00Z')).toBe('2024-05-31')
    expect(inputFromValue('number', 7)).toBe('7')
    expect(inputFromValue('checkbox', 'true')).toBe(true)
    expect(displayValue('checkbox', false)).toBe('No')
    expect(displayValue('percent', 12)).toBe('12%')
    expect(displayValue('text', null)).toBe('—')
    expect(withValue({ a: 1, b: 2 }, 'a', null)).toEqual({ b: 2 })
    expect(withValue({ a: 1 }, 'b', 'x')).toEqual({ a: 1, b: 'x' })
  })
})

// A fake server: "METHOD /path" → (body, query) => [status, json].
function server(routes) {
  const calls = []
  const fetchImpl = vi.fn(async (url, init) => {
    const u = new URL(url, 'http://parley.test')
    const body = init.body ? JSON.parse(init.body) : undefined
    const query = Object.fromEntries(u.searchParams)
    calls.push({ method: init.method, path: u.pathname, query, body })
    const route = routes[init.method + ' ' + u.pathname]
    const [status, json] = route ? route(body, query) : [404, { error: 'Not found' }]
    return new Response(JSON.stringify(json), { status })
  })
  return { calls, api: createApi({ fetchImpl }) }
}
const conv = (id, extra = {}) => ({ id, status: 'open', meta: {}, messages: [], ...extra })
const page = (from, n) => Array.from({ length: n }, (_, i) => conv(from + i))

describe('the filter session', () => {
  it("reads both of Chatwoot's answer shapes", () => {
    expect(resultOf({ meta: { all_count: 2 }, payload: [conv(1)] }).meta.all_count).toBe(2)
    expect(resultOf({ data: { meta: { all_count: 3 }, payload: [conv(1), conv(2)] } }).payload).toHaveLength(2)
    expect(resultOf(null)).toEqual({ meta: {}, payload: [] })
  })

  it('applies a filter, pages through it, and clears', async () => {
    const { api, calls } = server({
      'POST /api/v1/accounts/1/conversations/filter': (b, q) => [200, { meta: { all_count: 30 }, payload: q.page === '1' ? page(100, 25) : page(125, 5) }],
    })
    const upserted = []
    const store = { state: { conversations: { 101: conv(101, { status: 'pending' }) } }, upsertConversation: (c) => upserted.push(c.id) }
    const f = createFilterSession({ api, accountId: 1, store: () => store })
    const query = { payload: [{ attribute_key: 'status', filter_operator: 'equal_to', values: ['open'], query_operator: null }] }
    expect(await f.apply(query)).toBe(true)
    expect(calls[0]).toMatchObject({ method: 'POST', query: { page: '1' }, body: query })
    expect(f.list.value).toHaveLength(25)
    expect(f.list.value[1].status).toBe('pending') // the live store's copy wins
    expect(upserted).toHaveLength(25)
    expect(f.state).toMatchObject({ counts: { all_count: 30 }, morePages: true, view: null })
    await f.loadMore()
    expect(calls[1].query.page).toBe('2')
    expect(f.list.value).toHaveLength(30)
    expect(f.state.morePages).toBe(false)
    await f.loadMore() // nothing more to read
    expect(calls).toHaveLength(2)
    f.clear()
    expect(f.state.query).toBe(null)
    expect(f.list.value).toEqual([])
  })

  it("keeps the current results when the server refuses a filter, and throws its message", async () => {
    let refuse = false
    const { api } = server({
      'POST /api/v1/accounts/1/conversations/filter': () => (refuse ? [422, { message: 'Invalid attribute key - [nope]' }] : [200, { meta: {}, payload: [conv(1)] }]),
    })
    const f = createFilterSession({ api, accountId: 1 })
    const good = { payload: [{ attribute_key: 'status', filter_operator: 'equal_to', values: ['open'] }] }
    await f.apply(good)
    refuse = true
    await expect(f.apply({ payload: [{ attribute_key: 'nope', filter_operator: 'equal_to', values: ['x'] }] })).rejects.toThrow('Invalid attribute key - [nope]')
    expect(f.state.query).toEqual(good)
    expect(f.list.value.map((c) => c.id)).toEqual([1])
    expect(f.state.loading).toBe(false)
  })

  it('saves, opens and deletes views', async () => {
    const query = { payload: [{ attribute_key: 'tier', filter_operator: 'equal_to', values: ['gold'], query_operator: null }] }
    let views = [{ id: 4, name: 'Old', type: 'conversation', query }]
    const { api, calls } = server({
      'GET /api/v1/accounts/1/custom_filters': () => [200, views],
      'POST /api/v1/accounts/1/custom_filters': (b) => [200, { id: 5, ...b }],
      'DELETE /api/v1/accounts/1/custom_filters/5': () => [200, {}],
      'PATCH /api/v1/accounts/1/custom_filters/4': (b) => [200, { id: 4, name: 'Old', type: 'conversation', ...b }],
      'POST /api/v1/accounts/1/conversations/filter': () => [200, { meta: { all_count: 1 }, payload: [conv(9)] }],
    })
    const f = createFilterSession({ api, accountId: 1 })
    await expect(f.saveView('Gold')).rejects.toThrow('Apply a filter first.')
    await f.loadViews()
    expect(calls[0].query).toEqual({ filter_type: 'conversation' })
    await f.openView(4)
    expect(f.state).toMatchObject({ view: 4, query })
    expect(f.currentView.value.name).toBe('Old')
    // Edited from view 4: it can update that view or be saved as a new one.
    const narrower = { payload: [...query.payload.map((c) => ({ ...c, query_operator: 'and' })), { attribute_key: 'status', filter_operator: 'equal_to', values: ['open'], query_operator: null }] }
    await f.apply(narrower, { edited: 4 })
    expect(f.state).toMatchObject({ view: null, edited: 4 })
    expect(f.editedView.value.id).toBe(4)
    await f.updateView(4)
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { query: narrower } })
    expect(f.state).toMatchObject({ view: 4, edited: null })
    expect(f.state.views[0].query).toEqual(narrower)
    await f.apply(query, { edited: 4 })
    await expect(f.saveView('  ')).rejects.toThrow('Give the view a name.')
    await f.saveView(' Gold ')
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/accounts/1/custom_filters', body: { name: 'Gold', type: 'conversation', query } })
    expect(f.state).toMatchObject({ view: 5, edited: null })
    expect(f.state.views.map((v) => v.id)).toEqual([4, 5])
    await f.deleteView(5)
    expect(f.state.views.map((v) => v.id)).toEqual([4])
    expect(f.state.view).toBe(null)
    expect(f.state.query).toEqual(query) // still filtered, just not a saved view
    views = []
    await expect(f.openView(77)).rejects.toThrow('This view does not exist any more.')
  })
})
