// Message text helpers. Content is always rendered as text nodes: these only split it
// into plain and link segments so components can render <a> elements for http(s) URLs
// without ever using innerHTML.

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi
const TRAILING = /[.,;:!?)\]}'"]+$/

export function segments(text) {
  const out = []
  if (text == null) return out
  const s = String(text)
  let last = 0
  for (const m of s.matchAll(URL_RE)) {
    let href = m[0]
    const trail = href.match(TRAILING)
    if (trail) href = href.slice(0, -trail[0].length)
    if (!href.includes('.', href.indexOf('//') + 2) && !/\/\/(localhost|\d)/.test(href)) continue
    if (m.index > last) out.push({ text: s.slice(last, m.index) })
    out.push({ text: href, href })
    last = m.index + href.length
  }
  if (last < s.length) out.push({ text: s.slice(last) })
  return out
}

// Only http(s) URLs may become src/href of anything we render (no javascript:, data:).
export function safeUrl(value) {
  if (typeof value !== 'string' || !value) return ''
  try {
    const u = new URL(value, globalThis.location ? globalThis.location.href : undefined)
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : ''
  } catch {
    return ''
  }
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean)
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || '?').slice(0, 2)
  return letters.toUpperCase()
}

export function echoId() {
  const c = globalThis.crypto
  if (c && c.randomUUID) return c.randomUUID()
  return 'e' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10)
}

export function formatTime(epochSeconds, locale) {
  if (!epochSeconds) return ''
  const d = new Date(epochSeconds * 1000)
  try {
    return d.toLocaleTimeString(locale || undefined, { hour: 'numeric', minute: '2-digit' })
  } catch {
    return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })
  }
}

// "2m", "3h", "Mon", "12 Mar" — short relative stamps for lists.
export function shortAgo(epochSeconds, now = Date.now() / 1000) {
  if (!epochSeconds) return ''
  const s = Math.max(0, now - epochSeconds)
  if (s < 60) return 'now'
  if (s < 3600) return Math.floor(s / 60) + 'm'
  if (s < 86400) return Math.floor(s / 3600) + 'h'
  if (s < 7 * 86400) return Math.floor(s / 86400) + 'd'
  return new Date(epochSeconds * 1000).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })
}

// Keep a message list sorted by id, deduplicated by id and by echo_id (optimistic copies
// have no id yet and sort last, in the order they were sent).
export function upsertMessage(list, message) {
  if (!message) return list
  let i = message.id != null ? list.findIndex((m) => m.id === message.id) : -1
  if (message.echo_id) {
    // The optimistic copy (no id yet) with the same echo_id is this message.
    const j = list.findIndex((m) => m.echo_id === message.echo_id && m.id == null)
    if (j >= 0 && i < 0) i = j
    else if (j >= 0) {
      list.splice(j, 1)
      if (j < i) i--
    }
  }
  if (i >= 0) {
    const old = list[i]
    // An older copy (e.g. a replayed frame) must not overwrite a newer one.
    if (old.updated_at && message.updated_at && message.updated_at < old.updated_at) return list
    list.splice(i, 1, { ...old, ...message })
  } else if (message.id != null) {
    list.push(message)
  } else {
    return list // a partial update for a message we don't have
  }
  list.sort(compareMessages)
  return list
}

function compareMessages(a, b) {
  const ai = a.id == null ? Infinity : a.id
  const bi = b.id == null ? Infinity : b.id
  if (ai !== bi) return ai < bi ? -1 : 1
  return (a._localAt || 0) - (b._localAt || 0)
}
