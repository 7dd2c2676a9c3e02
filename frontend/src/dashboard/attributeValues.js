// Custom attributes in the dashboard: a definition's body as the settings form builds it,
// and a value as the typed inputs of the conversation panel give it. No Vue, no I/O; the
// server checks the values again (and its 422 message is what the person sees).

export const TYPES = [
  { key: 'text', label: 'Text' },
  { key: 'number', label: 'Number' },
  { key: 'currency', label: 'Currency' },
  { key: 'percent', label: 'Percent' },
  { key: 'link', label: 'Link' },
  { key: 'date', label: 'Date' },
  { key: 'list', label: 'List' },
  { key: 'checkbox', label: 'Checkbox' },
]
export const MODELS = [
  { key: 'conversation_attribute', label: 'Conversation' },
  { key: 'contact_attribute', label: 'Contact' },
]
// Keys the server keeps for each model's own fields (filters and automations use them).
const RESERVED = {
  conversation_attribute: ['status', 'priority', 'assignee_id', 'inbox_id', 'team_id', 'display_id', 'campaign_id', 'labels', 'browser_language', 'country_code', 'referer', 'created_at', 'last_activity_at'],
  contact_attribute: ['name', 'email', 'phone_number', 'identifier', 'country_code', 'city', 'created_at', 'last_activity_at', 'referer', 'blocked'],
}

// "Order number (EU)" → "order_number_eu": what Chatwoot's dashboard derives.
export function keyFromName(name) {
  return String(name || '')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100)
}

export function parseListValues(text) {
  const seen = new Set()
  return String(text || '')
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter((v) => v && !seen.has(v) && seen.add(v))
}

// The form's draft → the POST/PATCH body, or {error}. `creating` adds the model and key.
export function definitionBody(draft, { creating = true } = {}) {
  const name = String(draft.name || '').trim()
  const key = String(draft.key || '').trim()
  const type = draft.type
  if (!name) return { error: 'Give the attribute a name.' }
  if (name.length > 255) return { error: 'The name is at most 255 characters.' }
  if (creating) {
    if (!/^[a-z0-9_]{1,100}$/.test(key)) return { error: 'The key is lower-case letters, digits and _ only.' }
    if ((RESERVED[draft.model] || []).includes(key)) return { error: '“' + key + '” is a built-in attribute; choose another key.' }
  }
  if (!TYPES.some((t) => t.key === type)) return { error: 'Choose a type.' }
  const body = {
    attribute_display_name: name,
    attribute_display_type: type,
    attribute_description: String(draft.description || '').trim(),
  }
  if (creating) {
    body.attribute_key = key
    body.attribute_model = draft.model
  }
  if (type === 'list') {
    const values = parseListValues(draft.values)
    if (!values.length) return { error: 'A list needs at least one value.' }
    if (values.some((v) => v.length > 255)) return { error: 'List values are at most 255 characters each.' }
    body.attribute_values = values
  } else if (!creating) {
    body.attribute_values = []
  }
  const pattern = type === 'text' ? String(draft.pattern || '').trim() : ''
  if (pattern) {
    try {
      new RegExp(pattern.replace(/^\/(.*)\/[a-z]*$/s, '$1'))
    } catch (e) {
      return { error: 'The pattern is not a valid regular expression.' }
    }
    body.regex_pattern = pattern
    body.regex_cue = String(draft.cue || '').trim() || null
  } else if (!creating) {
    body.regex_pattern = null // the server clears it on null
    body.regex_cue = null
  }
  return { body }
}

export function draftFrom(definition) {
  return {
    name: definition.attribute_display_name || '',
    key: definition.attribute_key || '',
    model: definition.attribute_model || 'conversation_attribute',
    type: definition.attribute_display_type || 'text',
    description: definition.attribute_description || '',
    values: (definition.attribute_values || []).join(', '),
    pattern: definition.regex_pattern || '',
    cue: definition.regex_cue || '',
  }
}

// The input an attribute of this type is edited with.
export function inputType(type) {
  return { number: 'number', currency: 'number', percent: 'number', link: 'url', date: 'date', list: 'select', checkbox: 'checkbox' }[type] || 'text'
}

// What an input gave → the value sent (null clears it). Numbers go as numbers; a typed
// number that does not parse goes as typed, for the server to refuse with its message.
export function valueFromInput(type, raw) {
  if (type === 'checkbox') return raw === true || raw === 'true'
  const text = raw == null ? '' : String(raw).trim()
  if (text === '') return null
  if (inputType(type) === 'number') {
    const n = Number(text)
    return Number.isFinite(n) ? n : text
  }
  return text
}

// The input's starting value for a stored value.
export function inputFromValue(type, value) {
  if (type === 'checkbox') return value === true || value === 'true'
  if (value == null) return ''
  if (type === 'date') return String(value).slice(0, 10) // a date picker wants YYYY-MM-DD
  return String(value)
}

export function displayValue(type, value) {
  if (value == null || value === '') return '—'
  if (type === 'checkbox') return value === true || value === 'true' ? 'Yes' : 'No'
  if (type === 'percent') return value + '%'
  if (type === 'date') {
    const text = String(value)
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? text + 'T00:00:00' : text)
    return Number.isNaN(d.getTime()) ? text : d.toLocaleDateString()
  }
  return String(value)
}

// The conversation's attributes with the next value of one of them (null removes it).
export function withValue(current, key, value) {
  const next = { ...(current || {}) }
  if (value === null) delete next[key]
  else next[key] = value
  return next
}
