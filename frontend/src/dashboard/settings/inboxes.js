// Inbox settings: the channel types this dashboard can create, and the form <-> API body.
export const CHANNELS = { web_widget: 'Website', api: 'API' }
export const REPLY_TIMES = [
  { key: 'in_a_few_minutes', label: 'In a few minutes' },
  { key: 'in_a_few_hours', label: 'In a few hours' },
  { key: 'in_a_day', label: 'In a day' },
]
const TYPES = { 'Channel::WebWidget': 'web_widget', 'Channel::Api': 'api' }

export const channelOf = (inbox) => TYPES[inbox && inbox.channel_type] || (inbox && inbox.website_token ? 'web_widget' : 'api')

export function formOf(inbox) {
  const i = inbox || {}
  return {
    type: inbox ? channelOf(inbox) : 'web_widget',
    name: i.name || '',
    website_url: i.website_url || '',
    welcome_title: i.welcome_title || '',
    welcome_tagline: i.welcome_tagline || '',
    widget_color: i.widget_color || '#1f93ff',
    reply_time: i.reply_time || 'in_a_few_minutes',
    webhook_url: i.webhook_url || '',
    enable_auto_assignment: i.enable_auto_assignment !== false,
  }
}

// The problem with the form, or ''.
export function invalidInbox(f) {
  if (!f.name.trim()) return 'Give the inbox a name.'
  const url = f.type === 'web_widget' ? f.website_url.trim() : f.webhook_url.trim()
  if (url && !/^https?:\/\/\S+$/.test(url)) return (f.type === 'web_widget' ? 'The website' : 'The webhook') + ' URL must start with http:// or https://.'
  if (f.type === 'web_widget' && !/^#[0-9a-fA-F]{6}$/.test(f.widget_color)) return 'The widget colour must look like #1f93ff.'
  return ''
}

export function bodyOf(f, { create = false } = {}) {
  const channel =
    f.type === 'web_widget'
      ? {
          website_url: f.website_url.trim(),
          welcome_title: f.welcome_title.trim(),
          welcome_tagline: f.welcome_tagline.trim(),
          widget_color: f.widget_color,
          reply_time: f.reply_time,
        }
      : { webhook_url: f.webhook_url.trim() }
  if (create) channel.type = f.type
  const body = { name: f.name.trim(), channel }
  if (!create) body.enable_auto_assignment = !!f.enable_auto_assignment
  return body
}
