// Captain's forms and queries as plain functions (tested without a screen): an assistant's
// form values <-> its API body, the FAQ list's filters -> query, the bulk action's body.

export const PAGE_SIZE = 25 // the server's page of FAQs (meta.total_count counts them all)
export const FAQ_STATUSES = [['pending', 'Pending'], ['approved', 'Approved']]
export const MAX_NAME = 255
export const MAX_TEXT = 10000 // the server's limit on a message, the instructions, a question or an answer
export const MAX_LINES = 50 // response guidelines, guardrails: each list
export const MAX_LINE = 1000 // characters of one

const CONFIG_TEXTS = ['product_name', 'welcome_message', 'handoff_message', 'resolution_message', 'instructions']
const CONFIG_FLAGS = ['feature_faq', 'feature_memory', 'feature_citation']

export const blankAssistant = () => ({
  name: '',
  description: '',
  product_name: '',
  temperature: 1,
  feature_faq: true,
  feature_memory: false,
  feature_citation: true,
  welcome_message: '',
  handoff_message: '',
  resolution_message: '',
  instructions: '',
  response_guidelines: [],
  guardrails: [],
})

// The form values of an assistant as the API renders it (missing config keys keep the blank
// form's values; other config keys the server may keep are left alone on save, see below).
export function assistantForm(a) {
  const blank = blankAssistant()
  const config = (a && a.config) || {}
  const values = { ...blank, name: (a && a.name) || '', description: (a && a.description) || '' }
  for (const key of CONFIG_TEXTS) values[key] = config[key] == null ? '' : String(config[key])
  for (const key of CONFIG_FLAGS) values[key] = config[key] == null ? blank[key] : !!config[key]
  const t = Number(config.temperature)
  values.temperature = config.temperature == null || !Number.isFinite(t) ? blank.temperature : t
  values.response_guidelines = Array.isArray(a && a.response_guidelines) ? a.response_guidelines.map(String) : []
  values.guardrails = Array.isArray(a && a.guardrails) ? a.guardrails.map(String) : []
  return values
}

// Trimmed, non-empty, no repeats.
export function linesOf(list) {
  const out = []
  for (const item of list || []) {
    const line = String(item == null ? '' : item).trim()
    if (line && !out.includes(line)) out.push(line)
  }
  return out
}

// The form values -> { body } for POST/PATCH assistants, or { error } (nothing is sent).
// `config` is sent whole, with exactly the keys the server accepts (it refuses others): the
// assistant's config is the form's.
export function assistantBody(values) {
  const name = String(values.name || '').trim()
  const description = String(values.description || '').trim()
  if (!name) return { error: 'Give the assistant a name.' }
  if (name.length > MAX_NAME) return { error: 'The name is at most ' + MAX_NAME + ' characters.' }
  if (!description) return { error: 'Describe what the assistant is for.' }
  if (description.length > MAX_TEXT) return { error: 'The description is at most ' + MAX_TEXT + ' characters.' }
  const temperature = Number(values.temperature)
  if (values.temperature === '' || values.temperature == null || !Number.isFinite(temperature) || temperature < 0 || temperature > 1) {
    return { error: 'Temperature is a number from 0 to 1.' }
  }
  if (String(values.product_name || '').trim().length > MAX_NAME) return { error: 'The product name is at most ' + MAX_NAME + ' characters.' }
  const config = {}
  for (const key of CONFIG_TEXTS) {
    const text = String(values[key] || '').trim()
    if (text.length > MAX_TEXT) return { error: 'A message or the instructions are at most ' + MAX_TEXT + ' characters.' }
    config[key] = text
  }
  for (const key of CONFIG_FLAGS) config[key] = !!values[key]
  config.temperature = temperature
  const response_guidelines = linesOf(values.response_guidelines)
  const guardrails = linesOf(values.guardrails)
  if (response_guidelines.concat(guardrails).some((line) => line.length > MAX_LINE)) return { error: 'A guideline or a guardrail is at most ' + MAX_LINE + ' characters.' }
  if (response_guidelines.length > MAX_LINES || guardrails.length > MAX_LINES) return { error: 'At most ' + MAX_LINES + ' guidelines and ' + MAX_LINES + ' guardrails.' }
  return { body: { name, description, config, response_guidelines, guardrails } }
}

// The FAQ list's filters (they live in the address) and the query they send.
export const blankFaqFilters = () => ({ assistant_id: '', document_id: '', status: '', search: '', page: 1 })
export function faqFilters(query = {}) {
  const f = blankFaqFilters()
  if (/^\d+$/.test(String(query.assistant_id || ''))) f.assistant_id = String(query.assistant_id)
  if (/^\d+$/.test(String(query.document_id || ''))) f.document_id = String(query.document_id)
  if (FAQ_STATUSES.some(([k]) => k === query.status)) f.status = query.status
  if (typeof query.search === 'string') f.search = query.search
  const page = Number(query.page)
  if (Number.isInteger(page) && page > 1) f.page = page
  return f
}
export function faqQuery(f) {
  const params = {}
  if (f.assistant_id !== '' && f.assistant_id != null) params.assistant_id = String(f.assistant_id)
  if (f.document_id !== '' && f.document_id != null) params.document_id = String(f.document_id)
  if (f.status) params.status = f.status
  const search = String(f.search || '').trim()
  if (search) params.search = search
  if (f.page && Number(f.page) > 1) params.page = Number(f.page)
  return params
}
export const pagesOf = (total) => Math.max(1, Math.ceil((Number(total) || 0) / PAGE_SIZE))

// The document an FAQ was proposed from, as a row names it ('' when none).
export function faqDocumentName(r) {
  const d = r && r.document
  if (d && typeof d === 'object') return String(d.name || d.external_link || 'Document ' + d.id)
  return r && r.document_id != null ? 'Document ' + r.document_id : ''
}

// An FAQ's form <-> body.
export const blankFaq = (assistantId = '') => ({ question: '', answer: '', assistant_id: assistantId === '' || assistantId == null ? '' : String(assistantId), status: 'approved' })
export const faqForm = (r) => ({
  question: r.question || '',
  answer: r.answer || '',
  assistant_id: r.assistant_id != null ? String(r.assistant_id) : r.assistant && r.assistant.id != null ? String(r.assistant.id) : '',
  status: r.status === 'pending' ? 'pending' : 'approved',
})
export function faqBody(values) {
  const question = String(values.question || '').trim()
  const answer = String(values.answer || '').trim()
  if (!question) return { error: 'Write the question.' }
  if (!answer) return { error: 'Write the answer.' }
  if (question.length > MAX_TEXT || answer.length > MAX_TEXT) return { error: 'A question or an answer is at most ' + MAX_TEXT + ' characters.' }
  if (!/^\d+$/.test(String(values.assistant_id || ''))) return { error: 'Choose the assistant this FAQ belongs to.' }
  if (!FAQ_STATUSES.some(([k]) => k === values.status)) return { error: 'Choose a status.' }
  return { body: { question, answer, assistant_id: Number(values.assistant_id), status: values.status } }
}

// The bulk action on selected FAQs, in Chatwoot's shape: 'approve' or 'delete'.
export const BULK_ACTIONS = ['approve', 'delete']
export function bulkBody(action, ids) {
  if (!BULK_ACTIONS.includes(action)) throw new Error('Unknown bulk action: ' + action)
  const list = [...new Set((ids || []).map(Number).filter((n) => Number.isInteger(n) && n > 0))]
  return { type: 'AssistantResponse', ids: list, fields: { status: action } }
}

// The selection of a page's rows: toggling one, all of the page, and dropping ids that
// left the page.
export function toggled(selected, id) {
  return selected.includes(id) ? selected.filter((i) => i !== id) : selected.concat(id)
}
export function toggledAll(selected, pageIds) {
  const all = pageIds.length > 0 && pageIds.every((id) => selected.includes(id))
  return all ? selected.filter((id) => !pageIds.includes(id)) : [...new Set(selected.concat(pageIds))]
}
export const keptOn = (selected, pageIds) => selected.filter((id) => pageIds.includes(id))
