// SLA helpers shared by the settings screen, the conversation badge and the SLA report.
export const THRESHOLDS = [
  { key: 'first_response_time_threshold', short: 'frt', label: 'First response within' },
  { key: 'next_response_time_threshold', short: 'nrt', label: 'Next response within' },
  { key: 'resolution_time_threshold', short: 'rt', label: 'Resolution within' },
]
const UNITS = { minutes: 60, hours: 3600, days: 86400 }

// A form's value and unit -> seconds; '' -> null (no threshold); anything invalid -> undefined.
export function toSeconds(value, unit) {
  if (value === '' || value === null || value === undefined) return null
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) return undefined
  const seconds = Math.round(number * (UNITS[unit] || 60))
  return seconds >= 60 ? seconds : undefined
}

// Seconds -> the form's {key: value, key_unit: unit}, in the largest whole unit.
export function fromSeconds(seconds, key) {
  if (seconds == null) return { [key]: '', [key + '_unit']: 'minutes' }
  for (const unit of ['days', 'hours']) {
    if (seconds % UNITS[unit] === 0) return { [key]: String(seconds / UNITS[unit]), [key + '_unit']: unit }
  }
  return { [key]: String(Math.round((seconds / 60) * 100) / 100), [key + '_unit']: 'minutes' }
}

// 5400 -> "1h 30m"; 90 -> "1m"; negative -> the same with a leading minus.
export function durationText(seconds) {
  const sign = seconds < 0 ? '-' : ''
  let left = Math.abs(Math.round(seconds))
  const d = Math.floor(left / 86400); left -= d * 86400
  const h = Math.floor(left / 3600); left -= h * 3600
  const m = Math.floor(left / 60)
  const parts = []
  if (d) parts.push(d + 'd')
  if (h) parts.push(h + 'h')
  if (m || !parts.length) parts.push(m + 'm')
  return sign + parts.slice(0, 2).join(' ')
}

const STATUS_TEXT = { active: 'SLA on track', active_with_misses: 'SLA missed', hit: 'SLA met', missed: 'SLA missed' }
const CLOCKS = { frt: 'first response', nrt: 'next response', rt: 'resolution' }

// What a conversation's badge says: null without an SLA. `now` in epoch seconds.
export function slaBadge(conversation, now = Date.now() / 1000) {
  const sla = conversation && conversation.applied_sla
  if (!sla) return null
  const status = sla.sla_status
  const badge = { status, name: sla.sla_name, text: STATUS_TEXT[status] || status, tone: status === 'active' ? 'ok' : status === 'hit' ? 'done' : 'bad' }
  if (sla.next_due_at && (status === 'active' || status === 'active_with_misses')) {
    const left = sla.next_due_at - now
    badge.clock = sla.due_type
    badge.text = (sla.due_type || '').toUpperCase() + ' ' + (left > 0 ? durationText(left) : 'due')
    badge.title = sla.sla_name + ': ' + (CLOCKS[sla.due_type] || 'deadline') + (left > 0 ? ' due in ' + durationText(left) : ' due now') +
      (status === 'active_with_misses' ? ' (already missed: ' + missedClocks(conversation) + ')' : '')
    if (status === 'active' && left <= 0) badge.tone = 'bad'
  } else {
    badge.title = sla.sla_name + ': ' + badge.text + (status === 'missed' || status === 'active_with_misses' ? ' (' + missedClocks(conversation) + ')' : '')
  }
  return badge
}

function missedClocks(conversation) {
  const kinds = [...new Set((conversation.sla_events || []).map((e) => CLOCKS[e.event_type] || e.event_type))]
  return kinds.join(', ') || 'a deadline'
}

// Chatwoot's hit_rate string ("87.5%") -> 87.5; anything else -> 0.
export function hitRateNumber(text) {
  const n = parseFloat(String(text || '').replace('%', ''))
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0
}

// The applied_slas query of a report window ({ since, until } or { error }) and the chosen
// filters (ids as strings, '' for all) -> { query } or { error }.
export function slaQuery(window, picked) {
  if (!window || window.error) return { error: (window && window.error) || 'Choose a range.' }
  const query = { since: String(window.since), until: String(window.until) }
  for (const key of ['sla_policy_id', 'inbox_id', 'team_id']) if (picked[key]) query[key] = String(picked[key])
  return { query }
}
