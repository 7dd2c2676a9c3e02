import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { bodyOf, channelOf, formOf, invalidInbox, setupOf } from '../src/dashboard/settings/inboxes.js'
import ChannelSetup from '../src/dashboard/settings/ChannelSetup.vue'

const BOT = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
const SID = 'AC' + 'a1'.repeat(16)
const MG = 'MG' + 'b2'.repeat(16)
const TOKEN = 'x9'.repeat(16)

const form = (type, fields) => ({ ...formOf(null), type, name: 'Support', ...fields })

describe('telegram inbox form', () => {
  it('needs a bot token that looks like one, and sends only it', () => {
    expect(invalidInbox(form('telegram', { bot_token: '' }))).toMatch(/bot token/)
    expect(invalidInbox(form('telegram', { bot_token: '12:short' }))).toMatch(/bot token/)
    const f = form('telegram', { bot_token: ` ${BOT} ` })
    expect(invalidInbox(f)).toBe('')
    expect(bodyOf(f, { create: true })).toEqual({ name: 'Support', channel: { type: 'telegram', bot_token: BOT } })
  })

  it('edits only the name: the bot is fixed', () => {
    const inbox = { id: 3, name: 'TG', channel_type: 'Channel::Telegram', bot_token: BOT, enable_auto_assignment: false }
    const f = formOf(inbox)
    expect(f.type).toBe('telegram')
    expect(f.bot_token).toBe('')
    expect(invalidInbox(f, { create: false })).toBe('')
    expect(bodyOf(f)).toEqual({ name: 'TG', enable_auto_assignment: false })
  })
})

describe('whatsapp inbox form', () => {
  const good = { phone_number: '+15551234567', api_key: 'EAAG', phone_number_id: '1055', business_account_id: '2077', app_secret: 's3cret' }

  it('checks each credential like the server does', () => {
    expect(invalidInbox(form('whatsapp', { ...good, phone_number: '5551234567' }))).toMatch(/E\.164/)
    expect(invalidInbox(form('whatsapp', { ...good, api_key: ' ' }))).toMatch(/API key/)
    expect(invalidInbox(form('whatsapp', { ...good, phone_number_id: '10-55' }))).toMatch(/phone number ID/)
    expect(invalidInbox(form('whatsapp', { ...good, business_account_id: 'abc' }))).toMatch(/Business Account ID/)
    expect(invalidInbox(form('whatsapp', { ...good, app_secret: '' }))).toMatch(/app secret/)
    expect(invalidInbox(form('whatsapp', good))).toBe('')
  })

  it('sends provider_config, with a verify token only when one is given', () => {
    const body = bodyOf(form('whatsapp', good), { create: true })
    expect(body).toEqual({
      name: 'Support',
      channel: {
        type: 'whatsapp', phone_number: '+15551234567', provider: 'whatsapp_cloud',
        provider_config: { api_key: 'EAAG', phone_number_id: '1055', business_account_id: '2077', app_secret: 's3cret' },
      },
    })
    const withToken = bodyOf(form('whatsapp', { ...good, webhook_verify_token: ' mine ' }), { create: true })
    expect(withToken.channel.provider_config.webhook_verify_token).toBe('mine')
    const edited = formOf({ name: 'WA', channel_type: 'Channel::Whatsapp', phone_number: '+15551234567', provider_config: { phone_number_id: '1055', api_key: '********' } })
    expect(edited.api_key).toBe('')
    expect(edited.phone_number_id).toBe('1055')
    expect(bodyOf(edited)).toEqual({ name: 'WA', enable_auto_assignment: true })
  })
})

describe('sms (Twilio) inbox form', () => {
  it('needs the account SID, auth token and exactly one sender', () => {
    const f = form('sms', { account_sid: SID, auth_token: TOKEN, phone_number: '+14155550100' })
    expect(invalidInbox({ ...f, account_sid: 'AC123' })).toMatch(/account SID/)
    expect(invalidInbox({ ...f, auth_token: '' })).toMatch(/auth token/)
    expect(invalidInbox({ ...f, phone_number: '14155550100' })).toMatch(/E\.164/)
    expect(invalidInbox({ ...f, sms_sender: 'messaging_service', messaging_service_sid: 'MG1' })).toMatch(/MG followed/)
    expect(invalidInbox(f)).toBe('')
    expect(bodyOf(f, { create: true })).toEqual({
      name: 'Support',
      channel: { type: 'sms', provider: 'twilio', medium: 'sms', account_sid: SID, auth_token: TOKEN, phone_number: '+14155550100' },
    })
    const service = { ...f, sms_sender: 'messaging_service', messaging_service_sid: MG }
    expect(bodyOf(service, { create: true }).channel).toEqual({ type: 'sms', provider: 'twilio', medium: 'sms', account_sid: SID, auth_token: TOKEN, messaging_service_sid: MG })
  })

  it('on edit keeps the saved auth token unless a new one is typed', () => {
    const inbox = { name: 'Texts', channel_type: 'Channel::TwilioSms', account_sid: SID, auth_token: '*'.repeat(28) + 'abcd', messaging_service_sid: MG, phone_number: '' }
    const f = formOf(inbox)
    expect(f.auth_token).toBe('')
    expect(f.sms_sender).toBe('messaging_service')
    expect(invalidInbox(f, { create: false })).toBe('')
    expect(bodyOf(f)).toEqual({ name: 'Texts', channel: { messaging_service_sid: MG }, enable_auto_assignment: true })
    expect(invalidInbox({ ...f, auth_token: 'short' }, { create: false })).toMatch(/auth token/)
    expect(bodyOf({ ...f, auth_token: TOKEN }).channel).toEqual({ messaging_service_sid: MG, auth_token: TOKEN })
  })
})

describe('email inbox form', () => {
  it('needs a support address that is not a reply+ address', () => {
    expect(invalidInbox(form('email', { email: 'support' }))).toMatch(/email address/)
    expect(invalidInbox(form('email', { email: 'reply+x@acme.test' }))).toMatch(/reply\+/)
    const f = form('email', { email: ' Support@Acme.test ' })
    expect(invalidInbox(f)).toBe('')
    expect(bodyOf(f, { create: true })).toEqual({ name: 'Support', channel: { type: 'email', email: 'support@acme.test' } })
    const edited = formOf({ name: 'Mail', channel_type: 'Channel::Email', email: 'help@acme.test', forward_to_email: 'abc@in.parley.test' })
    expect(bodyOf(edited)).toEqual({ name: 'Mail', channel: { email: 'help@acme.test' }, enable_auto_assignment: true })
    expect(channelOf({ channel_type: 'Channel::Email' })).toBe('email')
  })
})

describe('setup the provider needs', () => {
  it('telegram: webhook URL, secret token and the setWebhook link', () => {
    const items = setupOf({ channel_type: 'Channel::Telegram', bot_token: BOT, secret_token: 's/t', webhook_url: 'https://p.test/webhooks/telegram/' + BOT })
    expect(items.map((i) => i.key)).toEqual(['webhook_url', 'secret_token', 'set_webhook'])
    expect(items[2].value).toBe(`https://api.telegram.org/bot${BOT}/setWebhook?url=${encodeURIComponent('https://p.test/webhooks/telegram/' + BOT)}&secret_token=s%2Ft`)
    // An agent's view carries no secrets: nothing to show.
    expect(setupOf({ channel_type: 'Channel::Telegram', bot_name: '' })).toEqual([])
  })

  it('whatsapp and sms keep masked secrets masked', () => {
    const wa = setupOf({ channel_type: 'Channel::Whatsapp', phone_number: '+15551234567', webhook_url: 'https://p.test/webhooks/whatsapp/+15551234567', provider_config: { phone_number_id: '1', api_key: '********', webhook_verify_token: 'vt' } })
    expect(wa.find((i) => i.key === 'verify_token')).toMatchObject({ value: 'vt', masked: false })
    expect(wa.find((i) => i.key === 'api_key')).toMatchObject({ value: '********', masked: true })
    const sms = setupOf({ channel_type: 'Channel::TwilioSms', phone_number: '+14155550100', messaging_service_sid: '', account_sid: SID, auth_token: '*'.repeat(28) + 'abcd', callback_webhook_url: 'https://p.test/twilio/callback', delivery_status_url: 'https://p.test/twilio/delivery_status' })
    expect(sms.map((i) => i.key)).toEqual(['callback_webhook_url', 'delivery_status_url', 'sender', 'account_sid', 'auth_token'])
    expect(sms.find((i) => i.key === 'sender')).toMatchObject({ label: 'Phone number', value: '+14155550100' })
    expect(sms.find((i) => i.key === 'auth_token').masked).toBe(true)
  })

  it('email shows the forwarding address; api its identifier and Client API URL', () => {
    expect(setupOf({ channel_type: 'Channel::Email', email: 'a@b.test', forward_to_email: 'f@in.test' })[0]).toMatchObject({ key: 'forward_to_email', value: 'f@in.test' })
    const api = setupOf({ channel_type: 'Channel::Api', inbox_identifier: 'abc', hmac_token: 'h', webhook_url: '' }, { origin: 'https://p.test' })
    expect(api.map((i) => [i.key, i.value])).toEqual([
      ['inbox_identifier', 'abc'],
      ['client_api', 'https://p.test/public/api/v1/inboxes/abc'],
      ['hmac_token', 'h'],
    ])
    expect(setupOf({ channel_type: 'Channel::WebWidget', website_token: 't' })).toEqual([])
  })

  it('the panel offers copy buttons, except for masked values', () => {
    const wrapper = mount(ChannelSetup, {
      props: { inbox: { channel_type: 'Channel::TwilioSms', phone_number: '+14155550100', account_sid: SID, auth_token: '*'.repeat(28) + 'abcd', callback_webhook_url: 'https://p.test/twilio/callback', delivery_status_url: 'https://p.test/twilio/delivery_status' } },
    })
    expect(wrapper.get('[data-testid="inbox-setup-callback_webhook_url"]').text()).toBe('https://p.test/twilio/callback')
    expect(wrapper.find('[data-testid="inbox-setup-copy-callback_webhook_url"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="inbox-setup-auth_token"]').text()).toBe('*'.repeat(28) + 'abcd')
    expect(wrapper.find('[data-testid="inbox-setup-copy-auth_token"]').exists()).toBe(false)
  })
})
