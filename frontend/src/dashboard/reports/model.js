// The Reports section's pure parts: the date range and its query parameters (since, until,
// group_by, business_hours, timezone_offset, as Chatwoot's dashboard sends them), a series
// as the rows of its table, the traffic heatmap's day × hour grid, and the previous-period
// deltas of the overview. No Vue, no fetch: the screens and the unit tests share these.
//
// Time: every boundary is a local midnight of ONE UTC offset, the browser's (in minutes,
// east of UTC positive: India +330, Nepal +345), which is also sent as `timezone_offset`
// (hours, 5.5 / 5.75), so the server groups the same days the screen labels. `until` is
// exclusive: the next local midnight (the server floors both to 15 minutes; a local
// midnight of any real offset is a multiple of 15 minutes, so nothing is cut off).

export const DAY = 86400
export const MAX_DAYS = 730 // the API refuses ranges over 2 years
export const HOUR_MAX_DAYS = 31 // ... and group_by hour over more than 31 days
export const CHANNEL_MAX_DAYS = 183 // ... and a channel summary over more than 6 months (Chatwoot's limit)
export const EXPORT_MAX_DAYS = 93 // ... and a per-conversation export over more than 93 days (services/reporting/reports.py)

export const RANGES = [
  { key: '7', label: 'Last 7 days', days: 7 },
  { key: '30', label: 'Last 30 days', days: 30 },
  { key: '90', label: 'Last 3 months', days: 90 },
  { key: '180', label: 'Last 6 months', days: 180 },
  { key: '365', label: 'Last 12 months', days: 365 },
  { key: 'custom', label: 'Custom range', days: null },
]

export const GROUPS = [
  { key: 'hour', label: 'Hour' },
  { key: 'day', label: 'Day' },
  { key: 'week', label: 'Week' },
  { key: 'month', label: 'Month' },
  { key: 'year', label: 'Year' },
]

// The metrics of GET /api/v2/accounts/{id}/reports (Chatwoot's names). `time`: a value in
// seconds (an average), shown as a duration; lower is better.
export const METRICS = [
  { key: 'conversations_count', label: 'Conversations', time: false },
  { key: 'incoming_messages_count', label: 'Incoming messages', time: false },
  { key: 'outgoing_messages_count', label: 'Outgoing messages', time: false },
  { key: 'avg_first_response_time', label: 'First response time', time: true },
  { key: 'avg_resolution_time', label: 'Resolution time', time: true },
  { key: 'reply_time', label: 'Reply time', time: true },
  { key: 'resolutions_count', label: 'Resolutions', time: false },
  { key: 'bot_resolutions_count', label: 'Bot resolutions', time: false },
  { key: 'bot_handoffs_count', label: 'Bot handoffs', time: false },
]
export const metricOf = (key) => METRICS.find((m) => m.key === key) || null

// The browser's UTC offset in minutes (east positive) at `date`.
export const browserOffsetMinutes = (date = new Date()) => -date.getTimezoneOffset()

// Minutes -> Chatwoot's `timezone_offset` (hours, a decimal): 330 -> '5.5', 345 -> '5.75',
// -210 -> '-3.5', 0 -> '0'.
export function offsetParam(minutes) {
  if (!Number.isInteger(minutes) || Math.abs(minutes) > 14 * 60) throw new Error('invalid UTC offset: ' + minutes)
  return String(minutes / 60)
}

// The local midnight (epoch seconds) starting the local day of epoch second `t`.
export function localMidnight(t, offsetMinutes) {
  const shift = offsetMinutes * 60
  return Math.floor((t + shift) / DAY) * DAY - shift
}

// 'YYYY-MM-DD' -> the epoch second of that local midnight, or null when not a real date.
export function dateToEpoch(text, offsetMinutes) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text || ''))
  if (!m) return null
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  const d = new Date(ms)
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null
  return ms / 1000 - offsetMinutes * 60
}

// The local calendar date of epoch second `t`, 'YYYY-MM-DD'.
export function localDate(t, offsetMinutes) {
  return new Date((t + offsetMinutes * 60) * 1000).toISOString().slice(0, 10)
}

// The range a filter means: { since, until, days } or { error } (a sentence for the screen).
// filter: { range: '7' | '30' | ... | 'custom', from: 'YYYY-MM-DD', to: 'YYYY-MM-DD' };
// a preset of N days ends with today (local) and includes it.
export function rangeOf(filter, now, offsetMinutes) {
  let since
  let until
  if (filter.range === 'custom') {
    since = dateToEpoch(filter.from, offsetMinutes)
    const to = dateToEpoch(filter.to, offsetMinutes)
    if (since == null || to == null) return { error: 'Choose a start and an end date.' }
    until = to + DAY
    if (until <= since) return { error: 'The start date must not be after the end date.' }
  } else {
    const preset = RANGES.find((r) => r.key === filter.range && r.days)
    if (!preset) return { error: 'Choose a range.' }
    until = localMidnight(now, offsetMinutes) + DAY
    since = until - preset.days * DAY
  }
  const days = Math.round((until - since) / DAY)
  if (days > MAX_DAYS) return { error: 'Choose at most 2 years.' }
  return { since, until, days }
}

// The groupings that make sense for a range of `days` days (the API refuses hour over more
// than 31 days; a year of hours or a week of years would be a useless chart).
export function groupsFor(days) {
  const ok = {
    hour: days <= HOUR_MAX_DAYS,
    day: days <= 366,
    week: days >= 14,
    month: days >= 60,
    year: days >= 366,
  }
  return GROUPS.filter((g) => ok[g.key])
}

// The grouping to show when `wanted` is not offered for the range.
export function groupFor(days, wanted) {
  const offered = groupsFor(days)
  if (offered.some((g) => g.key === wanted)) return wanted
  return (offered.find((g) => g.key === 'day') || offered.find((g) => g.key === 'week') || offered[0]).key
}

// The query of GET /reports (a chart, a sparkline): Chatwoot's parameter names; `id` only
// for a type other than account, business_hours only when on.
export function reportParams({ metric, since, until, groupBy, businessHours, offsetMinutes, type = 'account', id = null }) {
  const params = { metric, since: String(since), until: String(until), type, group_by: groupBy, timezone_offset: offsetParam(offsetMinutes) }
  if (type !== 'account' && id != null) params.id = String(id)
  if (businessHours) params.business_hours = 'true'
  return params
}

// The query of /reports/summary, /summary_reports/* and the CSV downloads.
export function windowParams({ since, until, businessHours }, extra = {}) {
  const params = { since: String(since), until: String(until), ...extra }
  if (businessHours) params.business_hours = 'true'
  return params
}

// A number of seconds as a person reads it: '45s', '12m 5s', '3h 20m', '2d 4h'; '—' for none.
export function formatDuration(seconds) {
  if (seconds == null || seconds === '' || !Number.isFinite(Number(seconds))) return '—'
  let s = Math.round(Number(seconds))
  if (s < 60) return s + 's'
  const d = Math.floor(s / DAY)
  s -= d * DAY
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  if (d) return d + 'd' + (h ? ' ' + h + 'h' : '')
  if (h) return h + 'h' + (m ? ' ' + m + 'm' : '')
  return m + 'm' + (s ? ' ' + s + 's' : '')
}

export const formatCount = (n) => (n == null || n === '' || !Number.isFinite(Number(n)) ? '—' : Number(n).toLocaleString('en-US'))
export const formatValue = (metricKey, v) => (metricOf(metricKey) && metricOf(metricKey).time ? formatDuration(v) : formatCount(v))

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

// The label of the group starting at epoch second `t` (local to the offset).
export function groupLabel(t, groupBy, offsetMinutes) {
  const d = new Date((t + offsetMinutes * 60) * 1000)
  const date = d.toISOString().slice(0, 10)
  switch (groupBy) {
    case 'hour':
      return date + ' ' + d.toISOString().slice(11, 16)
    case 'week':
      return 'Week of ' + date
    case 'month':
      return MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear()
    case 'year':
      return String(d.getUTCFullYear())
    default:
      return date
  }
}

// A series as GET /reports answers it ([{ value, timestamp }], values strings or numbers,
// averages in seconds) -> the rows of its table, in time order: { timestamp, label, value,
// text }. A value the server left empty is null (no data), not 0.
export function seriesRows(series, { metric, groupBy, offsetMinutes }) {
  return (Array.isArray(series) ? series : [])
    .filter((p) => p && Number.isFinite(Number(p.timestamp)))
    .map((p) => {
      const raw = p.value
      const value = raw == null || raw === '' || !Number.isFinite(Number(raw)) ? null : Number(raw)
      const timestamp = Number(p.timestamp)
      return { timestamp, label: groupLabel(timestamp, groupBy, offsetMinutes), value, text: formatValue(metric, value) }
    })
    .sort((a, b) => a.timestamp - b.timestamp)
}

// The sum (counts) or the mean of the non-empty values (times) of a table's rows.
export function seriesTotal(rows, metric) {
  const values = rows.map((r) => r.value).filter((v) => v != null)
  if (!values.length) return null
  const sum = values.reduce((a, b) => a + b, 0)
  return metricOf(metric) && metricOf(metric).time ? sum / values.length : sum
}

// The traffic heatmap: an hourly conversations_count series (group_by hour, with the
// offset) -> one row per local day of [since, until), 24 cells each (local hours), every
// hour of the range present (0 where the series has nothing). Hours of a point that falls
// outside the range are ignored. { hours: [0..23], days: [{ date, label, cells, total }], max }
export function heatmapGrid(series, { since, until, offsetMinutes }) {
  const days = []
  const byDate = new Map()
  for (let t = localMidnight(since, offsetMinutes); t < until; t += DAY) {
    const date = localDate(t, offsetMinutes)
    const d = new Date((t + offsetMinutes * 60) * 1000)
    const row = { date, label: WEEKDAYS[d.getUTCDay()] + ' ' + d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()], cells: new Array(24).fill(0), total: 0 }
    days.push(row)
    byDate.set(date, row)
  }
  let max = 0
  for (const p of Array.isArray(series) ? series : []) {
    const t = Number(p && p.timestamp)
    const v = Number(p && p.value)
    if (!Number.isFinite(t) || !Number.isFinite(v) || t < since || t >= until) continue
    const local = new Date((t + offsetMinutes * 60) * 1000)
    const row = byDate.get(local.toISOString().slice(0, 10))
    if (!row) continue
    const h = local.getUTCHours()
    row.cells[h] += v
    row.total += v
    if (row.cells[h] > max) max = row.cells[h]
  }
  return { hours: Array.from({ length: 24 }, (_, h) => h), days, max }
}

// The shade (0..4) of a heatmap cell: 0 for none, else its quarter of the busiest hour.
export const heatLevel = (v, max) => (!v || !max ? 0 : Math.min(4, Math.ceil((v / max) * 4)))

// The change of a summary figure against the previous period: { pct, text, trend, good }.
// pct: whole percent, null when the previous period had nothing to compare with; trend:
// 'up' | 'down' | 'same'; good: whether the change is good news (`better`: 'higher' or
// 'lower'), null when unchanged, not comparable, or neither direction is better (more
// messages is not good or bad news).
export function delta(current, previous, { better = null } = {}) {
  const c = current == null || current === '' ? null : Number(current)
  const p = previous == null || previous === '' ? null : Number(previous)
  if (c == null || p == null || !Number.isFinite(c) || !Number.isFinite(p)) return { pct: null, text: '—', trend: null, good: null }
  if (p === 0) {
    // An average time of 0 is a period without any (the API answers 0 then): nothing to compare.
    if (better === 'lower') return { pct: null, text: '—', trend: null, good: null }
    if (c === 0) return { pct: 0, text: '0%', trend: 'same', good: null }
    return { pct: null, text: 'new', trend: 'up', good: better ? better === 'higher' : null }
  }
  const pct = Math.round(((c - p) / Math.abs(p)) * 100)
  const trend = pct > 0 ? 'up' : pct < 0 ? 'down' : 'same'
  const good = trend === 'same' || !better ? null : (trend === 'up') === (better === 'higher')
  return { pct, text: (pct > 0 ? '+' : '') + pct + '%', trend, good }
}

// The overview's figures, from /reports/summary (Chatwoot: the current period's keys and
// `previous` with the same keys): [{ key, label, time, value, text, previousText, delta }],
// only the keys the server answered.
export const SUMMARY_FIGURES = [
  { key: 'conversations_count', label: 'Conversations', time: false, better: null },
  { key: 'incoming_messages_count', label: 'Incoming messages', time: false, better: null },
  { key: 'outgoing_messages_count', label: 'Outgoing messages', time: false, better: null },
  { key: 'avg_first_response_time', label: 'Avg. first response time', time: true, better: 'lower' },
  { key: 'avg_resolution_time', label: 'Avg. resolution time', time: true, better: 'lower' },
  { key: 'reply_time', label: 'Avg. reply time', time: true, better: 'lower' },
  { key: 'resolutions_count', label: 'Resolutions', time: false, better: 'higher' },
  { key: 'bot_resolutions_count', label: 'Bot resolutions', time: false, better: 'higher' },
  { key: 'bot_handoffs_count', label: 'Bot handoffs', time: false, better: null },
]

// The summary and the bot summary as one answer (their keys differ; `previous` merged too).
export function mergeSummaries(summary, bots) {
  const a = summary && typeof summary === 'object' ? summary : {}
  const b = bots && typeof bots === 'object' ? bots : {}
  return { ...b, ...a, previous: { ...(b.previous || {}), ...(a.previous || {}) } }
}

export function summaryFigures(summary) {
  const s = summary && typeof summary === 'object' ? summary : {}
  const previous = s.previous && typeof s.previous === 'object' ? s.previous : {}
  const fmt = (f, v) => (f.time ? formatDuration(v) : formatCount(v))
  return SUMMARY_FIGURES.filter((f) => Object.hasOwn(s, f.key)).map((f) => ({
    ...f,
    value: s[f.key] == null ? null : Number(s[f.key]),
    text: fmt(f, s[f.key]),
    previousText: fmt(f, previous[f.key]),
    delta: delta(s[f.key], previous[f.key], { better: f.better }),
  }))
}

// The live counts of /reports/conversations?type=account, in a fixed order.
export const LIVE_FIGURES = [
  { key: 'open', label: 'Open' },
  { key: 'unattended', label: 'Unattended' },
  { key: 'unassigned', label: 'Unassigned' },
  { key: 'pending', label: 'Pending' },
]
export const liveFigures = (counts) =>
  LIVE_FIGURES.filter((f) => counts && Object.hasOwn(counts, f.key)).map((f) => ({ ...f, value: Number(counts[f.key]) || 0 }))

// The tables of /summary_reports/<kind>: what a row is called, where its names come from,
// the /reports `type` of its sparkline, and its CSV download (/reports/<csv>).
export const TABLES = {
  agent: { title: 'Agents', noun: 'Agent', names: 'agents', type: 'agent', csv: 'agents' },
  inbox: { title: 'Inboxes', noun: 'Inbox', names: 'inboxes', type: 'inbox', csv: 'inboxes' },
  team: { title: 'Teams', noun: 'Team', names: 'teams', type: 'team', csv: 'teams' },
  label: { title: 'Labels', noun: 'Label', names: 'labels', type: 'label', csv: 'labels' },
  channel: { title: 'Channels', noun: 'Channel', names: null, type: null, csv: null },
}

export const SUMMARY_COLUMNS = [
  { key: 'conversations_count', label: 'Conversations', time: false },
  { key: 'resolved_conversations_count', label: 'Resolved', time: false },
  { key: 'avg_first_response_time', label: 'Avg. first response', time: true },
  { key: 'avg_resolution_time', label: 'Avg. resolution', time: true },
  { key: 'avg_reply_time', label: 'Avg. reply', time: true },
]
export const CHANNEL_COLUMNS = [
  { key: 'open', label: 'Open', time: false },
  { key: 'pending', label: 'Pending', time: false },
  { key: 'snoozed', label: 'Snoozed', time: false },
  { key: 'resolved', label: 'Resolved', time: false },
  { key: 'total', label: 'Total', time: false },
]

// A name for a row: the record's (name / title), else what the row says itself, else "#id".
export function nameOf(row, records) {
  const rec = (records || []).find((r) => String(r.id) === String(row.id))
  return (rec && (rec.available_name || rec.name || rec.title)) || row.name || row.title || '#' + row.id
}

// /summary_reports/<kind> -> table rows { id, name, cells: [{ key, value, text }] }, by name.
// The channel report is an object keyed by channel type (Chatwoot's); the others are arrays.
export function summaryRows(kind, answer, records) {
  if (kind === 'channel') {
    const obj = answer && typeof answer === 'object' && !Array.isArray(answer) ? answer : {}
    return Object.keys(obj)
      .sort()
      .map((type) => ({
        id: type,
        name: channelName(type),
        cells: CHANNEL_COLUMNS.map((c) => ({ key: c.key, value: Number(obj[type][c.key]) || 0, text: formatCount(Number(obj[type][c.key]) || 0) })),
      }))
  }
  return (Array.isArray(answer) ? answer : [])
    .map((row) => ({
      id: row.id,
      name: nameOf(row, records),
      cells: SUMMARY_COLUMNS.map((c) => {
        const v = row[c.key] == null || row[c.key] === '' ? null : Number(row[c.key])
        return { key: c.key, value: v, text: c.time ? formatDuration(v) : formatCount(v ?? 0) }
      }),
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
}

// 'Channel::WebWidget' -> 'Website'; unknown types lose their prefix.
const CHANNELS = {
  'Channel::WebWidget': 'Website',
  'Channel::Api': 'API',
  'Channel::Email': 'Email',
  'Channel::Sms': 'SMS',
  'Channel::TwilioSms': 'Twilio SMS',
  'Channel::Whatsapp': 'WhatsApp',
  'Channel::Telegram': 'Telegram',
  'Channel::FacebookPage': 'Facebook',
  'Channel::Instagram': 'Instagram',
  'Channel::Line': 'LINE',
}
export const channelName = (type) => CHANNELS[type] || String(type).replace(/^Channel::/, '')

// /reports/first_response_time_distribution ({ <channel type>: { '0-1h': n, '1-4h': n, ... } })
// -> { columns: the buckets in the server's order, rows: [{ id, name, cells: [n], total }] }.
export function distributionRows(answer) {
  const obj = answer && typeof answer === 'object' && !Array.isArray(answer) ? answer : {}
  const columns = []
  for (const counts of Object.values(obj)) for (const k of Object.keys(counts || {})) if (!columns.includes(k)) columns.push(k)
  const rows = Object.keys(obj)
    .sort()
    .map((type) => {
      const cells = columns.map((c) => Number(obj[type][c]) || 0)
      return { id: type, name: channelName(type), cells, total: cells.reduce((a, b) => a + b, 0) }
    })
  return { columns, rows }
}

// A sparkline's SVG path through `values` (nulls as 0) in a width × height box.
export function sparkPath(values, width = 96, height = 24) {
  const vs = (values || []).map((v) => (v == null || !Number.isFinite(Number(v)) ? 0 : Number(v)))
  if (!vs.length) return ''
  const max = Math.max(...vs, 0)
  const step = vs.length > 1 ? width / (vs.length - 1) : 0
  const y = (v) => (max ? height - 1 - (v / max) * (height - 2) : height - 1)
  return vs.map((v, i) => (i ? 'L' : 'M') + (i * step).toFixed(1) + ' ' + y(v).toFixed(1)).join(' ')
}

// The file name of a download: the server's Content-Disposition, else `fallback`.
export function fileNameOf(disposition, fallback) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || '')
  return m ? decodeURIComponent(m[1].trim()) : fallback
}

// The per-conversation export's query (GET /reports/conversations_export): the window's
// last EXPORT_MAX_DAYS days at most (the API's limit), its business hours and offset (the
// file's dates are local to it): { params, days, clipped }.
export function exportParams(w) {
  const since = Math.max(w.since, w.until - EXPORT_MAX_DAYS * DAY)
  return {
    params: windowParams({ ...w, since }, { timezone_offset: offsetParam(w.offsetMinutes) }),
    days: Math.round((w.until - since) / DAY),
    clipped: since > w.since,
  }
}
