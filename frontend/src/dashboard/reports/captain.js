// Reports > Captain's pure parts: the month picker's months, a month's window for the
// reports API, the month's figures (Captain's usage + the reports' bot figures) and the
// cost against the budget. Captain's usage is kept per UTC calendar month
// (services/captain/usage.py), so the bot figures are asked for the same UTC month.
// The usage itself is shaped by captain/provider.js (usageOf) and formatted with its
// money / count: one way of showing Captain's usage in the dashboard.
import { count, money } from '../captain/provider.js'

export const MONTHS_BACK = 24 // the picker offers this month and the 23 before it

// 'YYYY-MM' of the UTC month holding epoch second `t`.
export const utcMonth = (t) => new Date(t * 1000).toISOString().slice(0, 7)

const parseMonth = (month) => {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(String(month || ''))
  return m ? [Number(m[1]), Number(m[2])] : null
}

// 'YYYY-MM' -> 'December 2026' (the UTC month, whatever the browser's zone).
export function monthLabel(month) {
  const p = parseMonth(month)
  if (!p) return String(month || '')
  return new Date(Date.UTC(p[0], p[1] - 1, 1)).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })
}

// The months the picker offers, newest first: [{ value: 'YYYY-MM', label }].
export function monthChoices(now, n = MONTHS_BACK) {
  const d = new Date(now * 1000)
  const out = []
  for (let i = 0; i < n; i++) {
    const value = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1)).toISOString().slice(0, 7)
    out.push({ value, label: monthLabel(value) })
  }
  return out
}

// 'YYYY-MM' -> { since, until } (epoch seconds: the UTC month's first second, the next
// month's first second), the window of /reports/bot_summary; null when not a month.
export function monthWindow(month) {
  const p = parseMonth(month)
  if (!p) return null
  return { since: Date.UTC(p[0], p[1] - 1, 1) / 1000, until: Date.UTC(p[0], p[1], 1) / 1000 }
}

// The month's cost against the budget: null without a budget; else { percent (whole,
// may pass 100), bar (0..100, the drawn width), reached, text }.
export function budgetShare(cost, budget) {
  if (budget == null || !Number.isFinite(Number(budget))) return null
  const b = Number(budget)
  const c = Number(cost) || 0
  const percent = b > 0 ? Math.round((c / b) * 100) : c > 0 ? 100 : 0
  return { percent, bar: Math.min(100, Math.max(0, percent)), reached: c >= b, text: money(c) + ' of ' + money(b) + ' (' + percent + '%)' }
}

// The month's figures, in a fixed order: [{ key, label, value, text }]. `usage`: one month
// of usageOf (its `total`), `bots`: /reports/bot_summary's answer (null when not read:
// its two figures are then '—').
export function captainFigures(usage, bots) {
  const t = (usage && usage.total) || {}
  const b = bots && typeof bots === 'object' ? bots : null
  const bot = (key) => (b && b[key] != null && Number.isFinite(Number(b[key])) ? Number(b[key]) : null)
  const figures = [
    { key: 'answers', label: 'Answers', value: t.answers },
    { key: 'handoffs', label: 'Handoffs', value: t.handoffs },
    { key: 'calls', label: 'Model calls', value: t.calls },
    { key: 'input', label: 'Input tokens', value: t.input },
    { key: 'output', label: 'Output tokens', value: t.output },
    { key: 'cost', label: 'Cost (USD)', value: t.cost, money: true },
    { key: 'bot_resolutions_count', label: 'Bot resolutions (reports)', value: bot('bot_resolutions_count') },
    { key: 'bot_handoffs_count', label: 'Bot handoffs (reports)', value: bot('bot_handoffs_count') },
  ]
  return figures.map((f) => ({ key: f.key, label: f.label, value: f.value ?? null, text: f.value == null ? '—' : f.money ? money(f.value) : count(f.value) }))
}

// The per-assistant table's columns (keys of a usageOf row).
export const ASSISTANT_COLUMNS = [
  { key: 'answers', label: 'Answers' },
  { key: 'handoffs', label: 'Handoffs' },
  { key: 'calls', label: 'Model calls' },
  { key: 'input', label: 'Input tokens' },
  { key: 'output', label: 'Output tokens' },
  { key: 'cost', label: 'Cost (USD)', money: true },
]
export const cellText = (column, row) => (column.money ? money(row[column.key]) : count(row[column.key]))

// An assistant's share of the budget ('4%'), '—' without a budget.
export const budgetPart = (cost, budget) => {
  const s = budgetShare(cost, budget)
  return s ? s.percent + '%' : '—'
}
