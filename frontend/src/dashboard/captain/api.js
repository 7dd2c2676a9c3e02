// Captain's API calls (paths from shared/endpoints.js): assistants, their inboxes and FAQs
// (assistant_responses), in Chatwoot's shapes.
import { api } from '../session.js'
import { listOf, itemOf } from '../settings/resource.js'
import { accountEndpoints } from '../../shared/endpoints.js'
import { bulkBody, faqQuery } from './model.js'

const cap = (accountId, ...parts) => accountEndpoints(accountId).captain(...parts)

export const listAssistants = async (accountId) => listOf(await api.get(cap(accountId, 'assistants')))
export const getAssistant = async (accountId, id) => itemOf(await api.get(cap(accountId, 'assistants', id)))
export const createAssistant = async (accountId, body) => itemOf(await api.post(cap(accountId, 'assistants'), body))
export const updateAssistant = async (accountId, id, body) => itemOf(await api.patch(cap(accountId, 'assistants', id), body))
export const deleteAssistant = (accountId, id) => api.del(cap(accountId, 'assistants', id))

export const listLinkedInboxes = async (accountId, id) => listOf(await api.get(cap(accountId, 'assistants', id, 'inboxes')))
export const linkInbox = (accountId, id, inboxId) => api.post(cap(accountId, 'assistants', id, 'inboxes'), { inbox: { inbox_id: Number(inboxId) } })
export const unlinkInbox = (accountId, id, inboxId) => api.del(cap(accountId, 'assistants', id, 'inboxes', inboxId))

// An assistant's scenarios, the disabled ones too (Chatwoot's index lists enabled ones only).
const scenarioPath = (accountId, id, ...rest) => cap(accountId, 'assistants', id, 'scenarios', ...rest)
export const listScenarios = async (accountId, id) => listOf(await api.get(scenarioPath(accountId, id), { include_disabled: 'true' }))
export const createScenario = async (accountId, id, body) => itemOf(await api.post(scenarioPath(accountId, id), { scenario: body }))
export const updateScenario = async (accountId, id, scenarioId, body) => itemOf(await api.patch(scenarioPath(accountId, id, scenarioId), { scenario: body }))
export const deleteScenario = (accountId, id, scenarioId) => api.del(scenarioPath(accountId, id, scenarioId))

// One page of FAQs: { items, total, page }.
export async function listFaqs(accountId, filters) {
  const res = await api.get(cap(accountId, 'assistant_responses'), faqQuery(filters))
  const meta = (res && res.meta) || {}
  const items = listOf(res)
  return { items, total: Number(meta.total_count ?? items.length) || 0, page: Number(meta.page) || Number(filters.page) || 1 }
}
export const createFaq = async (accountId, body) => itemOf(await api.post(cap(accountId, 'assistant_responses'), body))
export const updateFaq = async (accountId, id, body) => itemOf(await api.patch(cap(accountId, 'assistant_responses', id), body))
export const deleteFaq = (accountId, id) => api.del(cap(accountId, 'assistant_responses', id))
export const bulkFaqs = (accountId, action, ids) => api.post(cap(accountId, 'bulk_actions'), bulkBody(action, ids))

// Documents (Chatwoot's `documents`): a page of an assistant's documents, add one by URL
// (JSON) or as an uploaded file (multipart), delete.
export async function listDocuments(accountId, assistantId, page = 1) {
  const params = {}
  if (assistantId !== '' && assistantId != null) params.assistant_id = String(assistantId)
  if (page > 1) params.page = page
  const res = await api.get(cap(accountId, 'documents'), params)
  const meta = (res && res.meta) || {}
  const items = listOf(res)
  return { items, total: Number(meta.total_count ?? items.length) || 0 }
}
export const addDocumentUrl = async (accountId, body) => itemOf(await api.post(cap(accountId, 'documents'), { document: body }))
export async function uploadDocument(accountId, assistantId, file) {
  const form = new FormData()
  form.append('document[assistant_id]', String(assistantId))
  form.append('document[file]', file, file.name || 'document')
  return itemOf(await api.post(cap(accountId, 'documents'), form))
}
export const deleteDocument = (accountId, id) => api.del(cap(accountId, 'documents', id))

// The playground: what the assistant would answer, without a conversation.
export const askPlayground = (accountId, assistantId, body) => api.post(cap(accountId, 'assistants', assistantId, 'playground'), body)

// Model provider settings: the account's, an assistant's override (DELETE: back to the
// account's), and a month's usage.
export const getProvider = async (accountId) => itemOf(await api.get(cap(accountId, 'provider')))
export const saveProvider = async (accountId, body) => itemOf(await api.patch(cap(accountId, 'provider'), body))
export const getAssistantProvider = async (accountId, id) => itemOf(await api.get(cap(accountId, 'assistants', id, 'provider')))
export const saveAssistantProvider = async (accountId, id, body) => itemOf(await api.patch(cap(accountId, 'assistants', id, 'provider'), body))
export const clearAssistantProvider = (accountId, id) => api.del(cap(accountId, 'assistants', id, 'provider'))
// `month` ('YYYY-MM', a UTC month): that month and the one before; this month's without it.
export const getUsage = (accountId, month = '') => api.get(cap(accountId, 'usage'), month ? { month } : undefined)
