// Captain's copilot in the reply editor (issue 14, item 4): which actions the conversation's
// model can do (GET .../captain/copilot), and running one (POST .../captain/copilot/{action}).
// Nothing is sent to the customer from here: a suggestion or a rewrite goes into the draft
// for the agent to edit, a summary is shown, a label is applied only when clicked.
import { api } from '../session.js'
import { accountEndpoints } from '../../shared/endpoints.js'

// The actions, in menu order, with their names on the menu. The server lists the ones the
// conversation's model can do; the menu shows only those (offline: the reply suggestion).
export const ACTIONS = [
  ['reply_suggestion', 'Suggest a reply'],
  ['summarize', 'Summarise the conversation'],
  ['fix_spelling_grammar', 'Fix spelling and grammar'],
  ['shorten', 'Make it shorter'],
  ['make_friendly', 'Make it friendlier'],
  ['make_formal', 'Make it more formal'],
  ['label_suggestion', 'Suggest labels'],
]
export const REWRITES = new Set(['fix_spelling_grammar', 'shorten', 'make_friendly', 'make_formal'])

const path = (accountId, ...parts) => accountEndpoints(accountId).captain('copilot', ...parts)

// The menu's items: the known actions the server says are available, in menu order; a
// rewrite needs a draft to rewrite (shown, but disabled, while the draft is empty).
export function menuItems(available, draft) {
  const allowed = new Set(Array.isArray(available) ? available : [])
  const empty = !String(draft || '').trim()
  return ACTIONS.filter(([id]) => allowed.has(id)).map(([id, label]) => ({ id, label, disabled: REWRITES.has(id) && empty }))
}

export async function availableActions(accountId, conversationId) {
  const res = await api.get(path(accountId), { conversation_id: conversationId })
  return (res && Array.isArray(res.actions) ? res.actions : [])
}

export function runAction(accountId, action, conversationId, draft) {
  const body = { conversation_id: conversationId }
  if (REWRITES.has(action)) body.draft = draft
  return api.post(path(accountId, action), body)
}

// What a result does to the editor: { draft } replaces the draft (a rewrite, or a reply
// suggestion into an empty draft), { append } adds below the draft (a suggestion beside
// text already written), { summary } opens the panel, { labels } offers label chips,
// { nothing } says why there is nothing to show.
export function outcome(action, result, draft) {
  const content = String((result && result.content) || '').trim()
  if (action === 'label_suggestion') {
    const labels = (result && Array.isArray(result.labels) ? result.labels : []).filter((l) => typeof l === 'string' && l)
    return labels.length ? { labels } : { nothing: 'No label fits this conversation.' }
  }
  if (!content) return { nothing: action === 'reply_suggestion' ? 'No approved answer matches the customer’s last message.' : 'Copilot had nothing to suggest.' }
  if (action === 'summarize') return { summary: content }
  // Offline, the other approved answers that matched are offered beside the first.
  const others = action === 'reply_suggestion' && Array.isArray(result.sources)
    ? result.sources.slice(1).map((s) => String((s && s.text) || '').trim()).filter(Boolean) : []
  const extra = others.length ? { others } : {}
  if (REWRITES.has(action) || !String(draft || '').trim()) return { draft: content, ...extra }
  return { append: content, ...extra }
}
