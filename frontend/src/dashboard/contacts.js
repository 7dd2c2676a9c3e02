// The contacts screen's talk with the API: Chatwoot's contact list, search and filter
// payloads, the CSV import (multipart, like Chatwoot's) and the export download.
import { ApiError, errorMessage } from '../shared/api.js'
import { api, session } from './session.js'
import { accountEndpoints } from '../shared/endpoints.js'

const contactsPath = (accountId, ...rest) => accountEndpoints(accountId).contacts(...rest)

export const SORTS = [
  { value: '-last_activity_at', label: 'Last activity' },
  { value: 'name', label: 'Name (A–Z)' },
  { value: '-name', label: 'Name (Z–A)' },
  { value: 'email', label: 'Email' },
  { value: '-created_at', label: 'Newest' },
  { value: 'created_at', label: 'Oldest' },
]

const TEXT = ['equal_to', 'not_equal_to', 'contains', 'does_not_contain']
const DATE = ['is_greater_than', 'is_less_than', 'days_before']
// The server's contact filter keys and the operators each takes (Chatwoot's filter_keys).
export const FILTER_ATTRIBUTES = [
  { key: 'name', label: 'Name', operators: TEXT },
  { key: 'email', label: 'Email', operators: TEXT },
  { key: 'phone_number', label: 'Phone number', operators: [...TEXT, 'starts_with'] },
  { key: 'identifier', label: 'Identifier', operators: ['equal_to', 'not_equal_to'] },
  { key: 'city', label: 'City', operators: TEXT },
  { key: 'company', label: 'Company', operators: TEXT },
  { key: 'country_code', label: 'Country code', operators: ['equal_to', 'not_equal_to'] },
  { key: 'labels', label: 'Labels', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  { key: 'blocked', label: 'Blocked', operators: ['equal_to', 'not_equal_to'], values: ['true', 'false'] },
  { key: 'created_at', label: 'Created', operators: DATE, type: 'date' },
  { key: 'last_activity_at', label: 'Last activity', operators: DATE, type: 'date' },
]

export const OPERATOR_LABELS = {
  equal_to: 'is', not_equal_to: 'is not', contains: 'contains', does_not_contain: 'does not contain',
  starts_with: 'starts with', is_present: 'is present', is_not_present: 'is not present',
  is_greater_than: 'is after', is_less_than: 'is before', days_before: 'more than N days ago',
}
export const NO_VALUE = ['is_present', 'is_not_present']

export const attributeOf = (key) => FILTER_ATTRIBUTES.find((a) => a.key === key) || FILTER_ATTRIBUTES[0]
export const blankCondition = () => ({ attribute_key: 'name', filter_operator: 'contains', value: '', join: 'AND' })

// Rows of the filter builder → Chatwoot's payload: each condition's query_operator joins
// it to the next one; the last has none.
export function filterPayload(rows) {
  return rows.map((row, i) => {
    const condition = {
      attribute_key: row.attribute_key,
      filter_operator: row.filter_operator,
      values: NO_VALUE.includes(row.filter_operator) ? [] : [String(row.value).trim()],
    }
    if (i < rows.length - 1) condition.query_operator = row.join === 'OR' ? 'OR' : 'AND'
    return condition
  })
}

// What is wrong with the builder's rows before sending them, or ''.
export function filterProblem(rows) {
  if (!rows.length) return 'Add a condition.'
  for (const row of rows) {
    const attribute = attributeOf(row.attribute_key)
    if (!attribute.operators.includes(row.filter_operator)) return attribute.label + ': choose an operator.'
    if (!NO_VALUE.includes(row.filter_operator) && !String(row.value).trim()) return attribute.label + ': enter a value.'
  }
  return ''
}

export const listContacts = (accountId, { sort, page }) => api.get(contactsPath(accountId), { sort, page })
export const searchContacts = (accountId, { q, sort, page }) => api.get(contactsPath(accountId, 'search'), { q, sort, page })
export const filterContacts = (accountId, rows, { sort, page }) =>
  api.post(contactsPath(accountId, 'filter'), { payload: filterPayload(rows) }, { sort, page })

async function raw(method, path, body) {
  let res
  try {
    res = await fetch(path, { method, headers: { api_access_token: session.token, Accept: 'application/json' }, body })
  } catch {
    throw new ApiError(0, errorMessage(0), null, null)
  }
  if (!res.ok) {
    const text = await res.text()
    let data = text
    try { data = JSON.parse(text) } catch { /* not JSON */ }
    throw new ApiError(res.status, errorMessage(res.status, data), data, null)
  }
  return res
}

// Chatwoot's import form: multipart with the file as `import_file`.
export async function uploadImport(accountId, file) {
  const form = new FormData()
  form.append('import_file', file, file.name)
  return (await raw('POST', contactsPath(accountId, 'import'), form)).json()
}

export const importStatus = (accountId, id) => api.get(contactsPath(accountId, 'imports', id))
export const startExport = (accountId) => api.post(contactsPath(accountId, 'export'), {})
export const exportStatus = (accountId, id) => api.get(contactsPath(accountId, 'exports', id))

// The file needs the token header, so it is fetched and handed to the browser as a blob URL.
export async function downloadExport(accountId, id) {
  const res = await raw('GET', contactsPath(accountId, 'exports', id, 'download'))
  return URL.createObjectURL(await res.blob())
}

export const percent = (job) => (job && job.total_rows ? Math.round((100 * (job.processed_rows || 0)) / job.total_rows) : 0)
