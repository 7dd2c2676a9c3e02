// Inbox business hours, greeting and out-of-office: Chatwoot's seven working_hours rows
// (day_of_week 0 = Sunday) <-> a form with one row per day and "HH:MM" times.
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
export const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0] // shown Monday first
export const MODES = { open: 'Open', all: 'Open all day', closed: 'Closed' }

const pad = (n) => String(n == null ? 0 : n).padStart(2, '0')
const clock = (h, m) => pad(h) + ':' + pad(m)

function parseClock(text) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(String(text || '').trim())
  if (!m) return null
  const hour = Number(m[1])
  const minute = Number(m[2])
  return hour <= 23 && minute <= 59 ? { hour, minute } : null
}

function rowFor(day, rows) {
  const r = (rows || []).find((x) => x && x.day_of_week === day)
  if (!r) return { day, mode: day === 0 || day === 6 ? 'closed' : 'open', open: '09:00', close: '17:00' }
  const mode = r.closed_all_day ? 'closed' : r.open_all_day ? 'all' : 'open'
  return { day, mode, open: clock(r.open_hour ?? 9, r.open_minutes), close: clock(r.close_hour ?? 17, r.close_minutes) }
}

export function hoursFormOf(inbox) {
  const i = inbox || {}
  return {
    greeting_enabled: !!i.greeting_enabled,
    greeting_message: i.greeting_message || '',
    working_hours_enabled: !!i.working_hours_enabled,
    timezone: i.timezone || 'UTC',
    out_of_office_message: i.out_of_office_message || '',
    days: [0, 1, 2, 3, 4, 5, 6].map((d) => rowFor(d, i.working_hours)),
  }
}

// The problem with the form, or ''.
export function invalidHours(f) {
  if (f.greeting_enabled && !f.greeting_message.trim()) return 'Write the greeting message, or turn the greeting off.'
  if (!f.timezone) return 'Choose a timezone.'
  for (const d of f.days) {
    if (d.mode !== 'open') continue
    const open = parseClock(d.open)
    const close = parseClock(d.close)
    if (!open || !close) return DAYS[d.day] + ': times must look like 09:30.'
    if (close.hour * 60 + close.minute <= open.hour * 60 + open.minute) return DAYS[d.day] + ': closing time must be after opening time.'
  }
  return ''
}

export function hoursBodyOf(f) {
  return {
    greeting_enabled: !!f.greeting_enabled,
    greeting_message: f.greeting_message.trim(),
    working_hours_enabled: !!f.working_hours_enabled,
    timezone: f.timezone,
    out_of_office_message: f.out_of_office_message.trim(),
    working_hours: f.days.map((d) => {
      const row = { day_of_week: d.day, closed_all_day: d.mode === 'closed', open_all_day: d.mode === 'all' }
      const open = parseClock(d.open)
      const close = parseClock(d.close)
      // Times of a closed or all-day row are kept when they are valid, so reopening restores them.
      if (open && close) Object.assign(row, { open_hour: open.hour, open_minutes: open.minute, close_hour: close.hour, close_minutes: close.minute })
      else Object.assign(row, { open_hour: null, open_minutes: null, close_hour: null, close_minutes: null })
      return row
    }),
  }
}

// IANA names from the browser when it can list them; the inbox's own zone always included.
export function timezones(current) {
  let zones = []
  try {
    zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
  } catch (e) {
    zones = []
  }
  const all = new Set(['UTC', ...zones])
  if (current) all.add(current)
  return [...all].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)))
}

// Account auto-resolve: minutes <-> a number and a unit, as Chatwoot's settings show it.
export const UNITS = { minutes: 1, hours: 60, days: 1440 }

export function autoResolveFormOf(account) {
  const s = (account && account.settings) || {}
  const after = s.auto_resolve_after
  let unit = 'minutes'
  if (after && after % 1440 === 0) unit = 'days'
  else if (after && after % 60 === 0) unit = 'hours'
  return {
    enabled: !!after,
    amount: after ? after / UNITS[unit] : 1,
    unit: after ? unit : 'days',
    message: s.auto_resolve_message || '',
    ignore_waiting: !!s.auto_resolve_ignore_waiting,
  }
}

export function invalidAutoResolve(f) {
  if (!f.enabled) return ''
  const minutes = Number(f.amount) * UNITS[f.unit]
  if (!Number.isInteger(minutes) || minutes < 10) return 'Resolve after at least 10 minutes.'
  if (minutes > 1439856) return 'Resolve after at most 999 days.'
  return ''
}

export function autoResolveBodyOf(f) {
  return {
    auto_resolve_after: f.enabled ? Number(f.amount) * UNITS[f.unit] : null,
    auto_resolve_message: f.message.trim(),
    auto_resolve_ignore_waiting: !!f.ignore_waiting,
  }
}
