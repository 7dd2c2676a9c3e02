// Captain in a conversation and in the playground: which messages are Captain's, and a
// handoff's reason code (services/captain/answering.py HANDOFF_REASONS) in words. Kept free
// of other imports: the conversation view (main chunk) imports it.

// The reason codes the server records (content_attributes.captain_handoff.reason on the
// handoff's activity message; handoff.reason in a playground answer) -> a sentence.
export const HANDOFF_REASONS = {
  customer_asked: 'The customer asked for a person.',
  low_confidence: 'No approved knowledge matched the question well enough.',
  guardrail: 'The question is on a guardrail topic.',
  model_cannot_help: 'The model said it could not help with this.',
  repeated_failure: 'Two answers in a row did not help.',
  provider_error: 'The model provider failed or did not answer in time.',
  budget_exhausted: 'This month’s Captain budget is used up.',
  rate_limited: 'Captain reached its rate limit.',
  answer_rejected: 'The model’s answer did not pass the checks (links, sources).',
  scenario: 'One of the assistant’s scenarios says to hand this over.',
}

// A code the dashboard does not know yet reads as the server's words for it (`fallback`, its
// reason_text), else as the code's own words ("new_reason" -> "New reason.").
export function handoffReasonText(code, fallback = '') {
  if (code == null || code === '') return ''
  const key = String(code)
  if (Object.prototype.hasOwnProperty.call(HANDOFF_REASONS, key)) return HANDOFF_REASONS[key]
  const given = String(fallback || '').trim()
  if (given) return given.charAt(0).toUpperCase() + given.slice(1) + (/[.!?]$/.test(given) ? '' : '.')
  const words = key.replace(/[_-]+/g, ' ').trim()
  return words ? words.charAt(0).toUpperCase() + words.slice(1) + '.' : ''
}

// The handoff an activity message records ({reason, reason_text, ...}), or null.
function handoffOf(message) {
  const attrs = (message && message.content_attributes) || {}
  const h = attrs.captain_handoff
  return h && typeof h === 'object' && typeof h.reason === 'string' ? h : null
}
// Its reason code, or ''; and that reason in words, or ''.
export const handoffReasonOf = (message) => (handoffOf(message) || {}).reason || ''
// What the server recorded about the decision (its reasoning, cut short), or ''.
export const handoffDetail = (message) => String((handoffOf(message) || {}).detail || '')
export function handoffWords(message) {
  const h = handoffOf(message)
  return h ? handoffReasonText(h.reason, h.reason_text) : ''
}

// A message Captain sent: sender_type "captain_assistant" as Parley renders it (or Chatwoot's
// class name), or a sender of that type.
export function isCaptainMessage(message) {
  if (!message) return false
  const type = message.sender_type
  if (type === 'captain_assistant' || type === 'Captain::Assistant') return true
  const sender = message.sender
  return !!(sender && (sender.type === 'captain_assistant' || sender.type === 'Captain::Assistant'))
}
