// How an audit log entry (GET /api/v1/accounts/<id>/audit_logs) reads on the settings
// screen: its time, its action and subject in words, and a short summary of its changes.

// The kinds an account's log holds (parley/audit.py's declared types), for the filter.
export const AUDITABLE_TYPES = [
  ['AccountUser', 'Agent'],
  ['AutomationRule', 'Automation rule'],
  ['Contact', 'Contact'],
  ['Inbox', 'Inbox'],
  ['Macro', 'Macro'],
  ['Team', 'Team'],
  ['User', 'User'],
  ['Webhook', 'Webhook'],
]
export const ACTIONS = [
  ['create', 'Created'],
  ['update', 'Updated'],
  ['destroy', 'Deleted'],
  ['sign_in', 'Signed in'],
  ['sign_out', 'Signed out'],
  ['merge', 'Merged'],
  ['export', 'Exported'],
]
export const PER_PAGE_FALLBACK = 15

const label = (pairs, key) => (pairs.find(([k]) => k === key) || [key, key])[1]
export const typeLabel = (type) => label(AUDITABLE_TYPES, type)
export const actionLabel = (action) => label(ACTIONS, action)

// "Team #12"; an entry about no single record (an export) names its type only.
export function subject(entry) {
  const type = typeLabel(entry.auditable_type)
  return entry.auditable_id == null ? type : type + ' #' + entry.auditable_id
}

// Seconds since the epoch -> "2026-12-04 16:35:45 UTC" (one zone for everyone reading an
// audit trail, so two administrators quote the same time).
export function formatTime(epochSeconds) {
  if (typeof epochSeconds !== 'number' || !Number.isFinite(epochSeconds)) return ''
  const iso = new Date(epochSeconds * 1000).toISOString()
  return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + ' UTC'
}

const MAX_VALUE = 40

function short(value) {
  let text
  if (value === null || value === undefined || value === '') text = '—'
  else if (typeof value === 'string') text = value
  else text = JSON.stringify(value)
  return text.length > MAX_VALUE ? text.slice(0, MAX_VALUE - 1) + '…' : text
}

// The changes in one line: an update's pairs as "field: old → new", a created or deleted
// record's fields as "field: value"; at most `limit` fields, then "+N more".
export function changesSummary(changes, limit = 3) {
  if (!changes || typeof changes !== 'object') return ''
  const keys = Object.keys(changes)
  const parts = keys.slice(0, limit).map((key) => {
    const value = changes[key]
    if (Array.isArray(value) && value.length === 2) return key + ': ' + short(value[0]) + ' → ' + short(value[1])
    return key + ': ' + short(value)
  })
  if (keys.length > limit) parts.push('+' + (keys.length - limit) + ' more')
  return parts.join('; ')
}

// Who did it: the user's e-mail (or id), or "System" for a change no one made.
export function actor(entry) {
  if (entry.username) return entry.username
  if (entry.user_id != null) return (entry.user_type || 'User') + ' #' + entry.user_id
  return 'System'
}

export function pageCount(total, perPage) {
  const size = perPage > 0 ? perPage : PER_PAGE_FALLBACK
  return Math.max(1, Math.ceil((Number(total) || 0) / size))
}

// The date pickers' days (YYYY-MM-DD, read as UTC like the times shown) as the API's window:
// since the first day's start, until the last day's end; an empty or malformed day is no limit.
const DAY = /^\d{4}-\d{2}-\d{2}$/
export function dayWindow(from, to) {
  const window = {}
  if (DAY.test(from || '')) window.since = from + 'T00:00:00Z'
  if (DAY.test(to || '')) window.until = to + 'T23:59:59.999999Z'
  return window
}
