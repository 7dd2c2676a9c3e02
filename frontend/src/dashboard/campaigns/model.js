// The Campaigns section's logic, without Vue (tests/campaigns.test.js): form values to the
// API's bodies (docs/campaigns.md; the server validates everything again and its 422 names
// the field), the schedule's local time, WhatsApp templates and their {{n}} parameters, the
// one-off progress bar and the status a row shows.
import { channelOf } from '../settings/inboxes.js'

export const MAX_TIME_ON_PAGE = 3600
export const KINDS = {
  ongoing: { channels: ['web_widget'], label: 'Live chat' },
  one_off: { channels: ['sms', 'whatsapp'], label: 'SMS / WhatsApp' },
}

// The inboxes a campaign of `kind` may run on.
export const inboxesFor = (kind, inboxes) => (inboxes || []).filter((i) => KINDS[kind].channels.includes(channelOf(i)))
export const isWhatsapp = (inbox) => !!inbox && channelOf(inbox) === 'whatsapp'

// ---- errors at the field -------------------------------------------------------------

// The server's 422 as { field: message } (its `errors` entries name the field, e.g.
// "trigger_rules.url"); a message naming no field goes under '' (the form's own line).
export function fieldErrors(err) {
  const out = {}
  const list = err && err.body && Array.isArray(err.body.errors) ? err.body.errors : []
  for (const e of list) {
    if (e && typeof e.message === 'string' && !out[e.field || '']) out[e.field || ''] = e.message
  }
  if (!Object.keys(out).length && err) out[''] = err.message || 'Something went wrong.'
  return out
}

const problem = (field, message) => ({ error: { [field]: message } })

// ---- the schedule ----------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0')

// Epoch seconds -> a datetime-local input's value in this browser's time zone.
export function toLocalInput(epoch) {
  if (epoch == null || !Number.isFinite(Number(epoch))) return ''
  const d = new Date(Number(epoch) * 1000)
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes())
}

// A datetime-local value (this browser's time zone) -> epoch seconds; null when not a time.
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(value || '').trim())
  if (!m) return null
  const [, y, mo, d, h, mi, s] = m.map(Number)
  const date = new Date(y, mo - 1, d, h, mi, s || 0)
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null // 31 Feb
  return Math.floor(date.getTime() / 1000)
}

// ---- WhatsApp templates ----------------------------------------------------------------

const bodyText = (template) => {
  const body = ((template && template.components) || []).find((c) => c && String(c.type).toUpperCase() === 'BODY')
  return (body && typeof body.text === 'string' && body.text) || ''
}

// The template body's placeholders {{1}}, {{2}}… as sorted keys ("1", "2").
export function placeholders(template) {
  const keys = new Set()
  for (const m of bodyText(template).matchAll(/\{\{\s*(\d+)\s*\}\}/g)) keys.add(String(Number(m[1])))
  return [...keys].sort((a, b) => Number(a) - Number(b))
}

// The inbox's synced templates a campaign may use (Meta's status APPROVED), by name.
export const approvedTemplates = (inbox) =>
  ((inbox && Array.isArray(inbox.message_templates) && inbox.message_templates) || [])
    .filter((t) => t && t.name && String(t.status || '').toUpperCase() === 'APPROVED')
    .sort((a, b) => String(a.name).localeCompare(String(b.name)) || String(a.language || '').localeCompare(String(b.language || '')))

export const templateKey = (t) => (t ? t.name + '|' + (t.language || '') : '')
export const findTemplate = (inbox, key) => approvedTemplates(inbox).find((t) => templateKey(t) === key) || null

// The template's body with its parameters filled in (what the contact reads).
export function renderTemplate(template, params) {
  return bodyText(template).replace(/\{\{\s*(\d+)\s*\}\}/g, (all, n) => {
    const v = params && params[String(Number(n))]
    return v ? v : all
  })
}

// ---- bodies ------------------------------------------------------------------------------

export const blankOngoing = () => ({
  title: '', message: '', inbox_id: '', sender_id: '', url: '', time_on_page: '10',
  business_hours: false, enabled: true,
})

export const ongoingValues = (c) => ({
  title: c.title || '', message: c.message || '', inbox_id: c.inbox_id == null ? '' : String(c.inbox_id),
  sender_id: c.sender_id == null ? '' : String(c.sender_id), url: (c.trigger_rules && c.trigger_rules.url) || '',
  time_on_page: String((c.trigger_rules && c.trigger_rules.time_on_page) ?? 10),
  business_hours: !!c.trigger_only_during_business_hours, enabled: !!c.enabled,
})

const wholeNumber = (v) => (/^\s*\d+\s*$/.test(String(v)) ? Number(v) : null)

// An ongoing campaign's form -> { body } or { error: { field: message } }. The URL glob
// itself is the server's to judge (its 422 shows at the field): one matcher, no drift.
export function ongoingBody(v) {
  const title = v.title.trim()
  if (!title) return problem('title', 'Give the campaign a title.')
  if (!v.inbox_id) return problem('inbox_id', 'Choose a website inbox.')
  if (!v.message.trim()) return problem('message', 'Write the message visitors will see.')
  const url = v.url.trim()
  if (!url) return problem('trigger_rules.url', 'Enter the page URL to watch, e.g. https://shop.example/pricing*')
  const seconds = wholeNumber(v.time_on_page)
  if (seconds == null || seconds > MAX_TIME_ON_PAGE) {
    return problem('trigger_rules.time_on_page', 'Time on page: a whole number of seconds from 0 to ' + MAX_TIME_ON_PAGE + '.')
  }
  return {
    body: {
      title, message: v.message, inbox_id: Number(v.inbox_id), sender_id: v.sender_id ? Number(v.sender_id) : null,
      trigger_rules: { url, time_on_page: seconds },
      trigger_only_during_business_hours: !!v.business_hours, enabled: !!v.enabled,
    },
  }
}

export const blankOneOff = () => ({
  title: '', message: '', inbox_id: '', labels: [], scheduled_at: '', enabled: true, template: '', params: {},
})

export function oneOffValues(c) {
  const tp = c.template_params || null
  return {
    title: c.title || '', message: c.message || '', inbox_id: c.inbox_id == null ? '' : String(c.inbox_id),
    labels: (c.audience || []).filter((a) => a && a.type === 'Label').map((a) => a.id),
    scheduled_at: toLocalInput(c.scheduled_at), enabled: !!c.enabled,
    template: tp && tp.name ? tp.name + '|' + (tp.language || '') : '',
    params: { ...((tp && tp.processed_params) || {}) },
  }
}

export const audienceOf = (labelIds) => labelIds.map((id) => ({ type: 'Label', id: Number(id) }))

// A one-off campaign's form -> { body } or { error }. `inbox` is the chosen inbox's JSON
// (with message_templates for WhatsApp), `now` epoch seconds, `original` the campaign being
// edited: its inbox and time are sent only when changed (the server checks a time sent, or
// one of a moved campaign, is in the future). On WhatsApp the message is the chosen
// template's body with its parameters (what the contact receives).
export function oneOffBody(v, { inbox = null, now = Date.now() / 1000, original = null } = {}) {
  const title = v.title.trim()
  if (!title) return problem('title', 'Give the campaign a title.')
  if (!v.inbox_id) return problem('inbox_id', 'Choose an SMS or WhatsApp inbox.')
  if (!v.labels.length) return problem('audience', 'Choose at least one label: its contacts are the audience.')
  const at = fromLocalInput(v.scheduled_at)
  if (at == null) return problem('scheduled_at', 'Choose the date and time to send.')
  const moved = !original || Number(v.inbox_id) !== original.inbox_id
  const rescheduled = !original || v.scheduled_at !== toLocalInput(original.scheduled_at)
  if ((moved || rescheduled) && at <= now) return problem('scheduled_at', 'Choose a time in the future.')
  const body = { title, audience: audienceOf(v.labels), enabled: !!v.enabled }
  if (moved) body.inbox_id = Number(v.inbox_id)
  if (rescheduled) body.scheduled_at = at
  if (isWhatsapp(inbox)) {
    const template = findTemplate(inbox, v.template)
    if (!template) return problem('template_params', 'Choose an approved WhatsApp template (sync them from Meta if the list is empty).')
    const processed = {}
    for (const key of placeholders(template)) {
      const value = String((v.params && v.params[key]) || '').trim()
      if (!value) return problem('template_params', 'Fill in the template’s parameter {{' + key + '}}.')
      processed[key] = value
    }
    body.template_params = { name: template.name, category: template.category || '', language: template.language || '', processed_params: processed }
    body.message = renderTemplate(template, processed)
  } else {
    if (!v.message.trim()) return problem('message', 'Write the message to send.')
    body.message = v.message
    if (original && original.template_params) body.template_params = null // moved off WhatsApp
  }
  return { body }
}

// ---- rows ---------------------------------------------------------------------------------

// The one-off progress bar: counts and the widths (percent of the audience) of its parts.
export function progressOf(campaign) {
  const p = campaign && campaign.progress
  if (!p || typeof p !== 'object') return null
  const n = (k) => Math.max(0, Number(p[k]) || 0)
  const counts = { sent: n('sent'), failed: n('failed'), queued: n('queued'), skipped: n('skipped') }
  const total = Math.max(n('audience_size'), counts.sent + counts.failed + counts.queued + counts.skipped)
  const pct = (k) => (total ? Math.round((counts[k] / total) * 1000) / 10 : 0)
  const processed = counts.sent + counts.failed + counts.skipped
  return {
    ...counts, total, processed, finished: !!p.finished_at || campaign.campaign_status === 'completed',
    widths: { sent: pct('sent'), failed: pct('failed'), skipped: pct('skipped'), queued: pct('queued') },
    percent: total ? Math.floor((processed / total) * 100) : 100,
    text: counts.sent + ' sent · ' + counts.failed + ' failed · ' + counts.queued + ' queued · ' + counts.skipped + ' skipped of ' + total,
  }
}

// What a row says a campaign is doing: [key, text].
export function statusOf(c) {
  if (c.campaign_status === 'completed') return ['completed', 'Completed']
  if (c.campaign_type === 'one_off' && c.progress && !c.progress.finished_at) return ['sending', 'Sending']
  if (!c.enabled) return ['disabled', 'Disabled']
  return c.campaign_type === 'one_off' ? ['scheduled', 'Scheduled'] : ['active', 'Active']
}

// Whether a screen should ask again soon: a one-off campaign is sending, or has messages
// still queued for delivery (its counts move after the send job finished, too).
export const anySending = (items) => items.some((c) => statusOf(c)[0] === 'sending' || (c.progress && Number(c.progress.queued) > 0))

// A one-off campaign can be changed only before it starts sending (the server refuses
// re-enabling or rescheduling a completed one).
export const editable = (c) => c.campaign_type !== 'one_off' || (c.campaign_status !== 'completed' && !c.progress)

export const whenText = (epoch) => (epoch ? new Date(epoch * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '')
