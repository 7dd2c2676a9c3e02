// Conversation filters: the attributes an agent can filter on, the operators each kind of
// attribute takes, and the conversion between the builder's rows and Chatwoot's filter
// payload ({payload: [{attribute_key, filter_operator, values, query_operator}]}), which
// is also what a saved view (custom filter) stores as its query. No Vue, no I/O.

export const STATUSES = ['open', 'pending', 'resolved', 'snoozed']
export const PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] // none: no priority set
export const CUSTOM_TYPES = ['text', 'number', 'currency', 'percent', 'link', 'date', 'list', 'checkbox']
export const MAX_DAYS = 36500

// `kind` decides the operators and the value input; `options` names where a select's
// choices come from; `id` means the values are record ids (sent as numbers, as Chatwoot does).
export const STANDARD_ATTRIBUTES = [
  { key: 'status', label: 'Status', kind: 'status', options: 'status' },
  { key: 'assignee_id', label: 'Assignee', kind: 'record', options: 'agents', id: true },
  { key: 'inbox_id', label: 'Inbox', kind: 'inbox', options: 'inboxes', id: true },
  { key: 'team_id', label: 'Team', kind: 'record', options: 'teams', id: true },
  { key: 'priority', label: 'Priority', kind: 'priority', options: 'priority' },
  { key: 'labels', label: 'Labels', kind: 'record', options: 'labels' },
  { key: 'created_at', label: 'Created', kind: 'timestamp' },
  { key: 'last_activity_at', label: 'Last activity', kind: 'timestamp' },
]

const PRESENCE = ['is_present', 'is_not_present']
const EQUALITY = ['equal_to', 'not_equal_to']
export const OPERATORS = {
  status: EQUALITY,
  priority: EQUALITY,
  inbox: EQUALITY,
  record: [...EQUALITY, ...PRESENCE],
  timestamp: ['is_greater_than', 'is_less_than', 'days_before'],
  text: [...EQUALITY, 'contains', 'does_not_contain', ...PRESENCE],
  link: [...EQUALITY, 'contains', 'does_not_contain', ...PRESENCE],
  number: [...EQUALITY, 'is_greater_than', 'is_less_than', ...PRESENCE],
  currency: [...EQUALITY, 'is_greater_than', 'is_less_than', ...PRESENCE],
  percent: [...EQUALITY, 'is_greater_than', 'is_less_than', ...PRESENCE],
  date: ['is_greater_than', 'is_less_than', ...PRESENCE],
  list: [...EQUALITY, ...PRESENCE],
  checkbox: EQUALITY,
}

const WORDS = {
  equal_to: 'is',
  not_equal_to: 'is not',
  contains: 'contains',
  does_not_contain: 'does not contain',
  is_present: 'is set',
  is_not_present: 'is not set',
  is_greater_than: 'is greater than',
  is_less_than: 'is less than',
  days_before: 'is more than … days ago',
}
const DATE_WORDS = { is_greater_than: 'is after', is_less_than: 'is before' }

export class FilterError extends Error {
  constructor(message, index = null) {
    super(message)
    this.name = 'FilterError'
    this.index = index // the row at fault, for the builder to mark
  }
}

// The account's conversation custom attribute definitions as filter attributes.
export function customAttributes(definitions) {
  return (definitions || [])
    .filter((d) => d && d.attribute_key && (!d.attribute_model || d.attribute_model === 'conversation_attribute'))
    .map((d) => ({
      key: d.attribute_key,
      label: d.attribute_display_name || d.attribute_key,
      kind: CUSTOM_TYPES.includes(d.attribute_display_type) ? d.attribute_display_type : 'text',
      custom: true,
      values: d.attribute_values || [],
    }))
}

export function attributesFor(definitions) {
  return [...STANDARD_ATTRIBUTES, ...customAttributes(definitions)]
}

export const findAttribute = (attributes, key) => attributes.find((a) => a.key === key) || null

export function operatorsFor(attribute) {
  return (attribute && OPERATORS[attribute.kind]) || OPERATORS.text
}

export function operatorLabel(attribute, operator) {
  const dated = attribute && (attribute.kind === 'timestamp' || attribute.kind === 'date')
  return (dated && DATE_WORDS[operator]) || WORDS[operator] || operator
}

// Which input the value needs: none, days, select, date, number, checkbox or text.
export function inputFor(attribute, operator) {
  if (PRESENCE.includes(operator)) return 'none'
  if (operator === 'days_before') return 'days'
  if (!attribute) return 'text'
  if (attribute.options || attribute.kind === 'list') return 'select'
  if (attribute.kind === 'timestamp' || attribute.kind === 'date') return 'date'
  if (['number', 'currency', 'percent'].includes(attribute.kind)) return 'number'
  if (attribute.kind === 'checkbox') return 'checkbox'
  return 'text'
}

// A select's choices as [{value, label}] (values are strings: what <select> gives back).
// `ctx` holds what the dashboard has loaded: agents, inboxes (by id), teams, labels.
export function optionsFor(attribute, ctx = {}) {
  if (!attribute) return []
  const named = (items, label = (i) => i.name) => (items || []).map((i) => ({ value: String(i.id), label: label(i) || '#' + i.id }))
  switch (attribute.options) {
    case 'status':
      return STATUSES.map((s) => ({ value: s, label: s[0].toUpperCase() + s.slice(1) }))
    case 'priority':
      return PRIORITIES.map((s) => ({ value: s, label: s[0].toUpperCase() + s.slice(1) }))
    case 'agents':
      return named(ctx.agents, (a) => a.available_name || a.name)
    case 'inboxes':
      return named(Object.values(ctx.inboxes || {}))
    case 'teams':
      return named(ctx.teams)
    case 'labels':
      return (ctx.labels || []).map((l) => (typeof l === 'string' ? l : l.title)).filter(Boolean).map((t) => ({ value: t, label: t }))
  }
  if (attribute.kind === 'list') return (attribute.values || []).map((v) => ({ value: String(v), label: String(v) }))
  return []
}

export function newRow(attributes, key = 'status') {
  const attribute = findAttribute(attributes, key) || attributes[0]
  const operator = operatorsFor(attribute)[0]
  const input = inputFor(attribute, operator)
  return { attribute: attribute.key, operator, value: input === 'checkbox' ? true : '', join: 'and', _input: input }
}

// After the attribute or operator changed: keep the operator if the attribute takes it,
// and the value only if it is the same attribute and the input did not change (one
// attribute's choices mean nothing for another's).
export function retarget(row, attributes, { attributeChanged = false } = {}) {
  const attribute = findAttribute(attributes, row.attribute)
  const before = row._input
  if (!operatorsFor(attribute).includes(row.operator)) row.operator = operatorsFor(attribute)[0]
  const input = inputFor(attribute, row.operator)
  if (attributeChanged || (before !== undefined && before !== input)) row.value = input === 'checkbox' ? true : ''
  row._input = input
  return row
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

function validDate(text) {
  if (!ISO_DATE.test(text)) return false
  const d = new Date(text + 'T00:00:00Z')
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text
}

// One row's `values`, as Chatwoot's dashboard sends them.
export function serializeValue(attribute, operator, value) {
  const input = inputFor(attribute, operator)
  const name = attribute ? attribute.label : 'The filter'
  const text = value == null ? '' : String(value).trim()
  switch (input) {
    case 'none':
      return []
    case 'days': {
      if (!/^\d+$/.test(text) || Number(text) > MAX_DAYS) throw new FilterError(name + ': enter a number of days (0 to ' + MAX_DAYS + ').')
      return [String(Number(text))]
    }
    case 'select':
      if (!text) throw new FilterError(name + ': choose a value.')
      return [attribute.id ? Number(text) : text]
    case 'date':
      if (!validDate(text)) throw new FilterError(name + ': enter a date like 2024-05-31.')
      return [text]
    case 'number': {
      const n = Number(text)
      if (!text || !Number.isFinite(n)) throw new FilterError(name + ': enter a number.')
      return [String(n)]
    }
    case 'checkbox':
      return [value === true || value === 'true']
    default:
      if (!text) throw new FilterError(name + ': enter a value.')
      return [text]
  }
}

// The builder's rows → {payload}. Each row's `join` (and / or) links it to the next row;
// the last row's query_operator is null, as in Chatwoot's payload.
export function buildPayload(rows, attributes) {
  if (!rows || !rows.length) throw new FilterError('Add at least one condition.')
  const payload = rows.map((row, index) => {
    const attribute = findAttribute(attributes, row.attribute)
    if (!attribute) throw new FilterError('Choose an attribute.', index)
    if (!operatorsFor(attribute).includes(row.operator)) throw new FilterError(attribute.label + ': choose an operator.', index)
    let values
    try {
      values = serializeValue(attribute, row.operator, row.value)
    } catch (err) {
      err.index = index
      throw err
    }
    const item = {
      attribute_key: attribute.key,
      filter_operator: row.operator,
      values,
      query_operator: index < rows.length - 1 ? (row.join === 'or' ? 'or' : 'and') : null,
      attribute_model: attribute.custom ? 'customAttributes' : 'standard',
    }
    if (attribute.custom) item.custom_attribute_type = 'conversation_attribute'
    return item
  })
  return { payload }
}

// A stored payload (a saved view's query) → builder rows. A key with no attribute any more
// (a deleted custom attribute) becomes a text row under its key, so the view still shows.
export function rowsFromPayload(query, attributes) {
  const items = (query && Array.isArray(query.payload) ? query.payload : Array.isArray(query) ? query : []).filter(
    (i) => i && typeof i.attribute_key === 'string',
  )
  return items.map((item) => {
    const attribute = findAttribute(attributes, item.attribute_key)
    const values = Array.isArray(item.values) ? item.values : []
    const input = inputFor(attribute, item.filter_operator)
    let value = values.length ? values[0] : ''
    if (input === 'checkbox') value = value === true || value === 'true'
    else if (value == null) value = ''
    else if (input !== 'number') value = String(value)
    return {
      attribute: item.attribute_key,
      operator: item.filter_operator,
      value,
      join: String(item.query_operator || 'and').toLowerCase() === 'or' ? 'or' : 'and',
      _input: input,
    }
  })
}

// "Status is open and Tier is gold": the applied filter, in words.
export function describe(query, attributes, ctx = {}) {
  const items = query && Array.isArray(query.payload) ? query.payload : []
  return items
    .map((item, i) => {
      const attribute = findAttribute(attributes, item.attribute_key)
      const input = inputFor(attribute, item.filter_operator)
      const label = attribute ? attribute.label : item.attribute_key
      const values = Array.isArray(item.values) ? item.values : []
      let shown = ''
      if (input === 'select') {
        const options = optionsFor(attribute, ctx)
        shown = values.map((v) => (options.find((o) => o.value === String(v)) || { label: String(v) }).label).join(', ')
      } else if (input === 'days') shown = ''
      else if (input !== 'none') shown = values.map(String).join(', ')
      const op = item.filter_operator === 'days_before' ? 'is more than ' + values[0] + ' days ago' : operatorLabel(attribute, item.filter_operator)
      const join = i < items.length - 1 ? ' ' + String(item.query_operator || 'and').toLowerCase() : ''
      return [label, op, shown].filter(Boolean).join(' ') + join
    })
    .join(' ')
}
