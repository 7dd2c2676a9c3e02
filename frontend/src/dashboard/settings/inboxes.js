// Inbox settings: the channel types this dashboard can create, and the form <-> API body.
import { endpoints } from '../../shared/endpoints.js'

export const CHANNELS = {
  web_widget: 'Website',
  api: 'API',
  telegram: 'Telegram',
  whatsapp: 'WhatsApp',
  sms: 'SMS (Twilio)',
  email: 'Email',
}
export const CHANNEL_HINTS = {
  web_widget: 'A chat bubble on your website.',
  api: 'Send and receive messages from your own code.',
  telegram: 'Messages to your Telegram bot.',
  whatsapp: 'A number on the WhatsApp Cloud API (Meta).',
  sms: 'Text messages to a Twilio number or messaging service.',
  email: 'Mail forwarded from your support address.',
}
export const REPLY_TIMES = [
  { key: 'in_a_few_minutes', label: 'In a few minutes' },
  { key: 'in_a_few_hours', label: 'In a few hours' },
  { key: 'in_a_day', label: 'In a day' },
]
const TYPES = {
  'Channel::WebWidget': 'web_widget',
  'Channel::Api': 'api',
  'Channel::Telegram': 'telegram',
  'Channel::Whatsapp': 'whatsapp',
  'Channel::TwilioSms': 'sms',
  'Channel::Email': 'email',
}

// The server's checks (parley/channels/*.py), so most mistakes are caught before sending.
const URL_RE = /^https?:\/\/\S+$/
const BOT_TOKEN = /^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$/
const PHONE = /^\+[1-9][0-9]{6,14}$/
const NUMERIC_ID = /^[0-9]{1,32}$/
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/
const SERVICE_SID = /^MG[0-9a-fA-F]{32}$/
const AUTH_TOKEN = /^[0-9a-zA-Z]{32}$/
const ADDRESS = /^[^@\s<>"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/

export const channelOf = (inbox) => TYPES[inbox && inbox.channel_type] || (inbox && inbox.website_token ? 'web_widget' : 'api')

export function formOf(inbox) {
  const i = inbox || {}
  const config = i.provider_config || {}
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
    bot_token: '',
    phone_number: i.phone_number || '',
    api_key: '',
    app_secret: '',
    phone_number_id: config.phone_number_id || '',
    business_account_id: config.business_account_id || '',
    webhook_verify_token: '',
    account_sid: i.account_sid || '',
    // Never prefilled: the API returns it masked, and an empty field keeps the saved one.
    auth_token: '',
    sms_sender: i.messaging_service_sid ? 'messaging_service' : 'phone_number',
    messaging_service_sid: i.messaging_service_sid || '',
    email: i.email || '',
  }
}

function invalidSender(f) {
  if (f.sms_sender === 'messaging_service') {
    return SERVICE_SID.test(f.messaging_service_sid.trim()) ? '' : 'The messaging service SID is MG followed by 32 hex digits.'
  }
  return PHONE.test(f.phone_number.trim()) ? '' : 'The phone number must be in E.164 form, like +14155550100.'
}

// The problem with the form, or ''. `create`: the fields only a new inbox takes are checked too.
export function invalidInbox(f, { create = true } = {}) {
  if (!f.name.trim()) return 'Give the inbox a name.'
  if (f.type === 'web_widget' || f.type === 'api') {
    const url = f.type === 'web_widget' ? f.website_url.trim() : f.webhook_url.trim()
    if (url && !URL_RE.test(url)) return (f.type === 'web_widget' ? 'The website' : 'The webhook') + ' URL must start with http:// or https://.'
    if (f.type === 'web_widget' && !/^#[0-9a-fA-F]{6}$/.test(f.widget_color)) return 'The widget colour must look like #1f93ff.'
  }
  if (f.type === 'telegram' && create && !BOT_TOKEN.test(f.bot_token.trim())) {
    return 'The bot token is the one @BotFather gave you, like 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11.'
  }
  if (f.type === 'whatsapp' && create) {
    if (!PHONE.test(f.phone_number.trim())) return 'The phone number must be in E.164 form, like +15551234567.'
    if (!f.api_key.trim()) return 'Give the API key (a permanent access token of your Meta app).'
    if (!NUMERIC_ID.test(f.phone_number_id.trim())) return 'The phone number ID is the number Meta shows for it (digits only).'
    if (!NUMERIC_ID.test(f.business_account_id.trim())) return 'The WhatsApp Business Account ID is digits only.'
    if (!f.app_secret.trim()) return 'Give the app secret: Parley checks Meta’s signatures with it.'
  }
  if (f.type === 'sms') {
    if (create && !ACCOUNT_SID.test(f.account_sid.trim())) return 'The account SID is AC followed by 32 hex digits.'
    const token = f.auth_token.trim()
    if ((create || token) && !AUTH_TOKEN.test(token)) return 'The auth token is the 32 letters and digits Twilio shows for the account.'
    const sender = invalidSender(f)
    if (sender) return sender
  }
  if (f.type === 'email') {
    const address = f.email.trim()
    if (!ADDRESS.test(address)) return 'Give the support email address, like support@example.com.'
    if (address.toLowerCase().startsWith('reply+')) return 'The support address can’t be a reply+ address.'
  }
  return ''
}

function channelBody(f, create) {
  if (f.type === 'web_widget') {
    return {
      website_url: f.website_url.trim(),
      welcome_title: f.welcome_title.trim(),
      welcome_tagline: f.welcome_tagline.trim(),
      widget_color: f.widget_color,
      reply_time: f.reply_time,
    }
  }
  if (f.type === 'api') return { webhook_url: f.webhook_url.trim() }
  if (f.type === 'email') return { email: f.email.trim().toLowerCase() }
  if (f.type === 'sms') {
    const sender =
      f.sms_sender === 'messaging_service'
        ? { messaging_service_sid: f.messaging_service_sid.trim() }
        : { phone_number: f.phone_number.trim() }
    const token = f.auth_token.trim()
    if (!create) return token ? { ...sender, auth_token: token } : sender
    return { provider: 'twilio', medium: 'sms', account_sid: f.account_sid.trim(), auth_token: token, ...sender }
  }
  // Telegram's bot and WhatsApp's number and credentials are fixed once the inbox exists.
  if (!create) return null
  if (f.type === 'telegram') return { bot_token: f.bot_token.trim() }
  const config = {
    api_key: f.api_key.trim(),
    phone_number_id: f.phone_number_id.trim(),
    business_account_id: f.business_account_id.trim(),
    app_secret: f.app_secret.trim(),
  }
  // Left empty, the server makes one up (and shows it in the setup).
  if (f.webhook_verify_token.trim()) config.webhook_verify_token = f.webhook_verify_token.trim()
  return { phone_number: f.phone_number.trim(), provider: 'whatsapp_cloud', provider_config: config }
}

export function bodyOf(f, { create = false } = {}) {
  const channel = channelBody(f, create)
  const body = { name: f.name.trim() }
  if (channel) body.channel = create ? { type: f.type, ...channel } : channel
  if (!create) body.enable_auto_assignment = !!f.enable_auto_assignment
  return body
}

// What to configure at the provider, from the inbox as the API returns it (secrets only
// for administrators; masked values stay masked and are not offered for copying).
export function setupOf(inbox, { origin = '' } = {}) {
  const i = inbox || {}
  const type = channelOf(i)
  const masked = (v) => typeof v === 'string' && /^\*{4,}/.test(v)
  const item = (key, label, value, extra = {}) => (value ? [{ key, label, value, masked: masked(value), ...extra }] : [])
  if (type === 'telegram') {
    const register =
      i.bot_token && i.webhook_url && i.secret_token
        ? 'https://api.telegram.org/bot' + i.bot_token + '/setWebhook?url=' + encodeURIComponent(i.webhook_url) + '&secret_token=' + encodeURIComponent(i.secret_token)
        : ''
    return [
      ...item('webhook_url', 'Webhook URL', i.webhook_url),
      ...item('secret_token', 'Secret token', i.secret_token, { secret: true }),
      ...item('set_webhook', 'Open this link once to register both with Telegram (setWebhook)', register, { secret: true }),
    ]
  }
  if (type === 'whatsapp') {
    const config = i.provider_config || {}
    return [
      ...item('webhook_url', 'Callback URL', i.webhook_url),
      ...item('verify_token', 'Verify token', config.webhook_verify_token, { secret: true }),
      ...item('phone_number', 'Phone number', i.phone_number),
      ...item('phone_number_id', 'Phone number ID', config.phone_number_id),
      ...item('api_key', 'API key', config.api_key),
    ]
  }
  if (type === 'sms') {
    return [
      ...item('callback_webhook_url', 'Incoming messages webhook (“A message comes in”, HTTP POST)', i.callback_webhook_url),
      ...item('delivery_status_url', 'Status callback URL', i.delivery_status_url),
      ...item('sender', i.messaging_service_sid ? 'Messaging service SID' : 'Phone number', i.messaging_service_sid || i.phone_number),
      ...item('account_sid', 'Account SID', i.account_sid),
      ...item('auth_token', 'Auth token', i.auth_token),
    ]
  }
  if (type === 'email') {
    return [...item('forward_to_email', 'Forward your support mail to', i.forward_to_email), ...item('email', 'Support address', i.email)]
  }
  if (type === 'api') {
    return [
      ...item('inbox_identifier', 'Inbox identifier', i.inbox_identifier),
      ...item('client_api', 'Client API base URL', i.inbox_identifier ? origin + endpoints.publicInbox(i.inbox_identifier) : ''),
      ...item('hmac_token', 'HMAC token (secret: sign the contact’s identifier on your server)', i.hmac_token, { secret: true }),
      ...item('webhook_url', 'Parley posts outgoing messages and events to', i.webhook_url),
    ]
  }
  return []
}
