// The playground as plain functions: the turns of a test conversation, the request they
// make (Chatwoot's shape: message_content + message_history of {role, content}), and an
// answer read back (response, reasoning, the handoff and its reason, the sources).
import { handoffReasonText } from './handoff.js'

export const MAX_HISTORY = 20 // turns sent as history: the latest ones (the server's limit)
export const MAX_MESSAGE = 4000 // characters of a message, and of each turn of the history (the server's limit)

// The body of POST .../assistants/{id}/playground for `text` after `turns`, or { error }.
export function playgroundBody(turns, text) {
  const content = String(text || '').trim()
  if (!content) return { error: 'Write a message to test the assistant with.' }
  if (content.length > MAX_MESSAGE) return { error: 'A message is at most ' + MAX_MESSAGE + ' characters.' }
  const history = (turns || [])
    .filter((t) => (t.role === 'user' || t.role === 'assistant') && String(t.content || '').trim())
    .slice(-MAX_HISTORY)
    .map((t) => ({ role: t.role, content: String(t.content).trim().slice(0, MAX_MESSAGE) }))
  return { body: { message_content: content, message_history: history } }
}

// One source as a row shows it: { key, title, kind, url }.
export function sourceOf(s, i) {
  const src = s && typeof s === 'object' ? s : {}
  const kind = String(src.type || src.kind || '')
  const title = String(src.title || src.question || src.name || src.url || (kind ? kind + ' ' + (src.id ?? '') : 'Source ' + (i + 1))).trim()
  return { key: kind + ':' + (src.id ?? i), title, kind: kindLabel(kind), url: src.url ? String(src.url) : '' }
}
function kindLabel(kind) {
  if (kind === 'faq' || kind === 'response' || kind === 'assistant_response') return 'FAQ'
  if (kind === 'document' || kind === 'chunk') return 'Document'
  if (kind === 'article') return 'Help center'
  return kind
}

// The server's answer -> the assistant's turn.
export function answerTurn(res) {
  const r = res && typeof res === 'object' ? res : {}
  const handoff = r.handoff && typeof r.handoff === 'object' ? r.handoff : null
  return {
    role: 'assistant',
    content: typeof r.response === 'string' ? r.response : '',
    reasoning: typeof r.reasoning === 'string' ? r.reasoning : '',
    sources: Array.isArray(r.sources) ? r.sources.map(sourceOf) : [],
    handoff: handoff ? { reason: String(handoff.reason || ''), text: handoffReasonText(handoff.reason, handoff.reason_text) } : null,
  }
}
