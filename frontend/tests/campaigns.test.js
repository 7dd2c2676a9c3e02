// The Campaigns section (src/dashboard/campaigns): the form -> body logic, the schedule's
// local time, WhatsApp templates and parameters, the progress math, and both screens mounted
// at their routes against a fake server answering in the API's shape (docs/campaigns.md; the
// audience, recipients, progress and template fields are issue 16's contract for one-off
// sending: these answers are recorded in that shape).
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { fakeServer, mountAt, user } from './screen.js'
import {
  anySending, approvedTemplates, editable, fieldErrors, fromLocalInput, oneOffBody, oneOffValues, ongoingBody, ongoingValues,
  placeholders, progressOf, renderTemplate, statusOf, toLocalInput,
} from '../src/dashboard/campaigns/model.js'
import { ApiError } from '../src/shared/api.js'
import { canOpenCampaigns } from '../src/dashboard/campaigns/access.js'
import { clearSession, setUser } from '../src/dashboard/session.js'

const NOW = 1_800_000_000
const later = (s) => toLocalInput(NOW + s)

const WEBSITE = { id: 1, name: 'Acme website', channel_type: 'Channel::WebWidget', website_token: 'w' }
const SMS = { id: 2, name: 'Acme SMS', channel_type: 'Channel::TwilioSms' }
const TEMPLATES = [
  { name: 'spring_sale', language: 'en_US', status: 'APPROVED', category: 'MARKETING', components: [
    { type: 'HEADER', format: 'TEXT', text: 'Sale {{1}}' },
    { type: 'BODY', text: 'Hi {{1}}, {{2}} off everything until {{ 2 }}. Bye {{1}}!' }] },
  { name: 'draft_one', language: 'en_US', status: 'PENDING', category: 'MARKETING', components: [{ type: 'BODY', text: 'x' }] },
  { name: 'no_params', language: 'de', status: 'approved', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hallo!' }] },
]
const WHATSAPP = { id: 3, name: 'Acme WhatsApp', channel_type: 'Channel::Whatsapp', message_templates: TEMPLATES }
const LABELS = [{ id: 7, title: 'vip' }, { id: 8, title: 'newsletter' }]
const AGENTS = [{ id: 2, name: 'Ada', available_name: 'Ada' }]

const ongoing = (over = {}) => ({
  id: 1, display_id: 1, title: 'Pricing hello', description: '', account_id: 1, inbox_id: 1, inbox: WEBSITE,
  sender_id: 2, sender: { id: 2, name: 'Ada' }, message: 'Questions?', campaign_status: 'active', enabled: true,
  campaign_type: 'ongoing', trigger_rules: { url: 'https://acme.test/pricing*', time_on_page: 5 },
  trigger_only_during_business_hours: false, created_at: NOW, updated_at: NOW, ...over,
})
const oneOff = (over = {}) => ({
  id: 2, display_id: 2, title: 'Spring sale', description: '', account_id: 1, inbox_id: 2, inbox: SMS, sender_id: null,
  sender: null, message: '20% off', campaign_status: 'active', enabled: true, campaign_type: 'one_off', trigger_rules: {},
  trigger_only_during_business_hours: false, scheduled_at: NOW + 3600, audience: [{ type: 'Label', id: 7 }],
  template_params: null, progress: null, created_at: NOW, updated_at: NOW, ...over,
})

describe('ongoing campaign form', () => {
  const values = { title: ' Hello ', message: 'Hi there', inbox_id: '1', sender_id: '', url: ' https://a.test/p* ', time_on_page: '5', business_hours: true, enabled: false }
  it('builds the API body', () => {
    expect(ongoingBody(values)).toEqual({ body: {
      title: 'Hello', message: 'Hi there', inbox_id: 1, sender_id: null, trigger_rules: { url: 'https://a.test/p*', time_on_page: 5 },
      trigger_only_during_business_hours: true, enabled: false } })
    expect(ongoingBody({ ...values, sender_id: '2' }).body.sender_id).toBe(2)
  })
  it('names the field of what is missing or wrong', () => {
    expect(ongoingBody({ ...values, title: '  ' }).error).toHaveProperty('title')
    expect(ongoingBody({ ...values, inbox_id: '' }).error).toHaveProperty('inbox_id')
    expect(ongoingBody({ ...values, message: '' }).error).toHaveProperty('message')
    expect(ongoingBody({ ...values, url: '' }).error).toHaveProperty(['trigger_rules.url'])
    for (const bad of ['-1', '1.5', 'abc', '', '3601']) expect(ongoingBody({ ...values, time_on_page: bad }).error).toHaveProperty(['trigger_rules.time_on_page'])
    expect(ongoingBody({ ...values, time_on_page: '3600' }).body.trigger_rules.time_on_page).toBe(3600)
  })
  it('fills the form from a campaign and back to the same body', () => {
    const v = ongoingValues(ongoing())
    expect(v).toMatchObject({ inbox_id: '1', sender_id: '2', url: 'https://acme.test/pricing*', time_on_page: '5', enabled: true })
    expect(ongoingBody(v).body).toMatchObject({ inbox_id: 1, sender_id: 2, trigger_rules: ongoing().trigger_rules })
  })
})

describe('the schedule in local time', () => {
  it('goes to epoch seconds and back', () => {
    const at = fromLocalInput('2027-03-04T09:30')
    expect(new Date(at * 1000).getHours()).toBe(9)
    expect(toLocalInput(at)).toBe('2027-03-04T09:30')
    expect(fromLocalInput('2027-02-31T09:30')).toBe(null)
    expect(fromLocalInput('tomorrow')).toBe(null)
    expect(toLocalInput(null)).toBe('')
  })
})

describe('WhatsApp templates', () => {
  it('offers only approved ones and reads the body placeholders', () => {
    expect(approvedTemplates(WHATSAPP).map((t) => t.name)).toEqual(['no_params', 'spring_sale'])
    expect(placeholders(TEMPLATES[0])).toEqual(['1', '2']) // the body's, not the header's; repeats once
    expect(placeholders(TEMPLATES[2])).toEqual([])
    expect(renderTemplate(TEMPLATES[0], { 1: 'Zoe', 2: '20%' })).toBe('Hi Zoe, 20% off everything until 20%. Bye Zoe!')
    expect(renderTemplate(TEMPLATES[0], { 1: 'Zoe' })).toContain('{{2}}')
  })
})

describe('one-off campaign form', () => {
  const values = { title: 'Sale', message: 'Hello', inbox_id: '2', labels: [7, 8], scheduled_at: later(3600), enabled: true, template: '', params: {} }
  it('builds the SMS body with the audience and the time', () => {
    const { body } = oneOffBody(values, { inbox: SMS, now: NOW })
    expect(body).toEqual({ title: 'Sale', message: 'Hello', inbox_id: 2, audience: [{ type: 'Label', id: 7 }, { type: 'Label', id: 8 }],
      scheduled_at: fromLocalInput(values.scheduled_at), enabled: true })
  })
  it('refuses an empty audience, no time or a past one', () => {
    expect(oneOffBody({ ...values, labels: [] }, { inbox: SMS, now: NOW }).error).toHaveProperty('audience')
    expect(oneOffBody({ ...values, scheduled_at: '' }, { inbox: SMS, now: NOW }).error).toHaveProperty('scheduled_at')
    expect(oneOffBody({ ...values, scheduled_at: later(-120) }, { inbox: SMS, now: NOW }).error.scheduled_at).toContain('future')
    expect(oneOffBody({ ...values, message: ' ' }, { inbox: SMS, now: NOW }).error).toHaveProperty('message')
  })
  it('on WhatsApp sends the template with exactly its parameters, and its text as the message', () => {
    const wa = { ...values, inbox_id: '3', message: '', template: 'spring_sale|en_US', params: { 1: ' Zoe ', 2: '20%', 3: 'stale' } }
    const { body } = oneOffBody(wa, { inbox: WHATSAPP, now: NOW })
    expect(body.template_params).toEqual({ name: 'spring_sale', category: 'MARKETING', language: 'en_US', processed_params: { 1: 'Zoe', 2: '20%' } })
    expect(body.message).toBe('Hi Zoe, 20% off everything until 20%. Bye Zoe!')
    expect(oneOffBody({ ...wa, params: { 1: 'Zoe' } }, { inbox: WHATSAPP, now: NOW }).error.template_params).toContain('{{2}}')
    expect(oneOffBody({ ...wa, template: '' }, { inbox: WHATSAPP, now: NOW }).error).toHaveProperty('template_params')
    expect(oneOffBody({ ...wa, template: 'draft_one|en_US' }, { inbox: WHATSAPP, now: NOW }).error).toHaveProperty('template_params')
  })
  it('on an edit sends the inbox and the time only when changed (a time not changed may have passed)', () => {
    const original = oneOff({ scheduled_at: NOW - 60 })
    const v = oneOffValues(original)
    expect(v).toMatchObject({ inbox_id: '2', labels: [7], enabled: true, message: '20% off' })
    const { body } = oneOffBody({ ...v, title: 'Renamed' }, { inbox: SMS, now: NOW, original })
    expect(body).not.toHaveProperty('scheduled_at')
    expect(body).not.toHaveProperty('inbox_id')
    expect(oneOffBody({ ...v, scheduled_at: later(60) }, { inbox: SMS, now: NOW, original }).body.scheduled_at).toBe(fromLocalInput(later(60)))
    const wa = oneOffValues(oneOff({ inbox_id: 3, inbox: WHATSAPP, template_params: { name: 'spring_sale', language: 'en_US', processed_params: { 1: 'A', 2: 'B' } } }))
    expect(wa).toMatchObject({ template: 'spring_sale|en_US', params: { 1: 'A', 2: 'B' } })
  })
})

describe('rows', () => {
  it('computes the progress bar', () => {
    expect(progressOf(oneOff())).toBe(null)
    const p = progressOf(oneOff({ progress: { audience_size: 8, queued: 2, sent: 4, failed: 1, skipped: 1, started_at: NOW, finished_at: null } }))
    expect(p).toMatchObject({ total: 8, processed: 6, percent: 75, finished: false, widths: { sent: 50, failed: 12.5, skipped: 12.5, queued: 25 } })
    expect(p.text).toBe('4 sent · 1 failed · 2 queued · 1 skipped of 8')
    const empty = progressOf(oneOff({ campaign_status: 'completed', progress: { audience_size: 0, queued: 0, sent: 0, failed: 0, skipped: 0, started_at: NOW, finished_at: NOW } }))
    expect(empty).toMatchObject({ total: 0, percent: 100, finished: true, widths: { sent: 0 } })
  })
  it('says what a campaign is doing and whether it can still be edited', () => {
    expect(statusOf(ongoing())).toEqual(['active', 'Active'])
    expect(statusOf(ongoing({ enabled: false }))[0]).toBe('disabled')
    expect(statusOf(oneOff())[0]).toBe('scheduled')
    const sending = oneOff({ progress: { audience_size: 1, queued: 1, sent: 0, failed: 0, skipped: 0, started_at: NOW, finished_at: null } })
    expect(statusOf(sending)[0]).toBe('sending')
    expect(statusOf(oneOff({ campaign_status: 'completed' }))[0]).toBe('completed')
    expect([editable(ongoing()), editable(oneOff()), editable(sending), editable(oneOff({ campaign_status: 'completed' }))]).toEqual([true, true, false, false])
    expect(anySending([ongoing(), oneOff()])).toBe(false)
    expect(anySending([oneOff(), sending])).toBe(true)
    const delivering = oneOff({ campaign_status: 'completed', progress: { ...sending.progress, finished_at: NOW } })
    expect(anySending([delivering])).toBe(true) // the job is done, one message still queued for delivery
    expect(anySending([oneOff({ campaign_status: 'completed', progress: { ...delivering.progress, queued: 0, sent: 1 } })])).toBe(false)
  })
  it('reads the server 422 into errors by field', () => {
    const err = new ApiError(422, 'trigger_rules.url must be…', { error: 'x', errors: [{ field: 'trigger_rules.url', message: 'trigger_rules.url must be…', code: 'invalid' }] })
    expect(fieldErrors(err)).toEqual({ 'trigger_rules.url': 'trigger_rules.url must be…' })
    expect(fieldErrors(new ApiError(404, 'Sender not found', { error: 'Sender not found', errors: [] }))).toEqual({ '': 'Sender not found' })
  })
})

describe('who sees the section', () => {
  afterEach(() => clearSession && clearSession())
  it('administrators only', () => {
    setUser(user('administrator'), false)
    expect(canOpenCampaigns()).toBe(true)
    setUser(user('agent'), false)
    expect(canOpenCampaigns()).toBe(false)
  })
})

const tick = (ms) => new Promise((r) => setTimeout(r, ms))

describe('Live chat screen', () => {
  it('lists, creates (422 at the field first), toggles and deletes', async () => {
    const { default: Screen } = await import('../src/dashboard/campaigns/OngoingCampaigns.vue')
    let items = [ongoing(), oneOff()]
    const { w, calls } = await mountAt(Screen, '/app/accounts/1/campaigns/ongoing', {
      'GET /api/v1/accounts/1/campaigns': () => [200, items],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [WEBSITE, SMS, WHATSAPP] }],
      'GET /api/v1/accounts/1/agents': () => [200, AGENTS],
      'GET /api/v1/accounts/1/labels': () => [200, { payload: LABELS }],
      'POST /api/v1/accounts/1/campaigns': (body) => body.trigger_rules.url.includes('(')
        ? [422, { error: 'trigger_rules.url may not use ( )', errors: [{ field: 'trigger_rules.url', message: 'trigger_rules.url may not use ( )', code: 'invalid' }] }]
        : [200, ongoing({ id: 3, ...body, inbox: WEBSITE, sender: null })],
      'PATCH /api/v1/accounts/1/campaigns/1': (body) => [200, ongoing(body)],
      'DELETE /api/v1/accounts/1/campaigns/1': () => [200, null],
    }, user('administrator'))
    expect(w.findAll('[data-testid="campaign-row"]').length).toBe(1) // the one-off one is on the other screen
    expect(w.find('[data-testid="campaign-row-url"]').text()).toBe('https://acme.test/pricing*')

    await w.find('[data-testid="campaign-add"]').trigger('click')
    const inboxOptions = w.findAll('[data-testid="campaign-inbox"] option').map((o) => o.text())
    expect(inboxOptions).toEqual(['Choose an inbox', 'Acme website']) // website inboxes only
    await w.find('[data-testid="campaign-submit"]').trigger('submit')
    expect(w.find('[data-testid="campaign-error-title"]').exists()).toBe(true)
    await w.find('[data-testid="campaign-title"]').setValue('Docs hello')
    await w.find('[data-testid="campaign-inbox"]').setValue('1')
    await w.find('[data-testid="campaign-message"]').setValue('Need help?')
    await w.find('[data-testid="campaign-url"]').setValue('https://acme.test/(docs|help)')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="campaign-error-trigger_rules.url"]').text()).toContain('may not use')
    expect(w.find('[data-testid="campaign-url"]').attributes('aria-invalid')).toBe('true')
    expect(w.find('[data-testid="campaign-title"]').attributes('aria-invalid')).toBeUndefined()
    await w.find('[data-testid="campaign-url"]').setValue('https://acme.test/docs*')
    await w.find('form').trigger('submit')
    await flushPromises()
    const made = calls.filter((c) => c.method === 'POST').pop()
    expect(made.body).toEqual({ title: 'Docs hello', message: 'Need help?', inbox_id: 1, sender_id: null,
      trigger_rules: { url: 'https://acme.test/docs*', time_on_page: 10 }, trigger_only_during_business_hours: false, enabled: true })
    expect(w.find('[data-testid="campaign-form"]').exists()).toBe(false)
    expect(w.findAll('[data-testid="campaign-row"]').length).toBe(2)

    await w.find('[data-campaign-id="1"] [data-testid="campaign-enabled"]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ enabled: false })
    expect(w.find('[data-campaign-id="1"]').attributes('data-status')).toBe('disabled')

    await w.find('[data-campaign-id="1"] [data-testid="campaign-delete"]').trigger('click')
    await w.find('[data-campaign-id="1"] [data-testid="campaign-delete-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'DELETE')).toBe(true)
    expect(w.find('[data-campaign-id="1"]').exists()).toBe(false)
    items = []
  })
})

describe('a screen without a fitting inbox', () => {
  it('says to add one and offers no form', async () => {
    const { default: Screen } = await import('../src/dashboard/campaigns/OngoingCampaigns.vue')
    const { w } = await mountAt(Screen, '/app/accounts/1/campaigns/ongoing', {
      'GET /api/v1/accounts/1/campaigns': () => [200, []],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [SMS] }],
      'GET /api/v1/accounts/1/agents': () => [200, AGENTS],
      'GET /api/v1/accounts/1/labels': () => [200, { payload: LABELS }],
    }, user('administrator'))
    expect(w.find('[data-testid="campaign-no-inbox"]').text()).toContain('website inbox')
    expect(w.find('[data-testid="campaign-add"]').attributes('disabled')).toBeDefined()
  })
})

describe('SMS / WhatsApp screen', () => {
  const routes = (extra = {}) => ({
    'GET /api/v1/accounts/1/campaigns': () => [200, [ongoing(), oneOff(), oneOff({
      id: 4, title: 'Winter', campaign_status: 'active',
      progress: { audience_size: 4, queued: 1, sent: 1, failed: 2, skipped: 0, started_at: NOW, finished_at: null } })]],
    'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [WEBSITE, SMS, { ...WHATSAPP, message_templates: [] }] }],
    'GET /api/v1/accounts/1/inboxes/3': () => [200, WHATSAPP],
    'GET /api/v1/accounts/1/agents': () => [200, AGENTS],
    'GET /api/v1/accounts/1/labels': () => [200, { payload: LABELS }],
    // One label alone: the server had not finished indexing older contacts (complete false).
    'POST /api/v1/accounts/1/campaigns/audience': (body) => [200, { audience_size: body.audience.length * 3, complete: body.audience.length !== 1 }],
    'POST /api/v1/accounts/1/inboxes/3/sync_templates': () => [200, {}],
    'GET /api/v1/accounts/1/campaigns/4/recipients': (_, q) => [200, { payload: [
      { contact_id: 11, name: 'Zoe', phone_number: '+15550001111', status: q.status, reason: 'Provider answered 400: invalid number', conversation_id: 5, message_id: 9, updated_at: NOW },
      { contact_id: 12, name: '', phone_number: '+15550001112', status: q.status, reason: 'Outside the 24-hour window', conversation_id: 6, message_id: 10, updated_at: NOW }],
    meta: { count: 2, current_page: Number(q.page) } }],
    'POST /api/v1/accounts/1/campaigns': (body) => [200, oneOff({ id: 5, ...body, inbox: WHATSAPP })],
    ...extra,
  })

  it('shows progress and the failures with their reasons', async () => {
    const { default: Screen } = await import('../src/dashboard/campaigns/OneOffCampaigns.vue')
    const { w, calls } = await mountAt(Screen, '/app/accounts/1/campaigns/one_off', routes(), user('administrator'))
    expect(w.findAll('[data-testid="campaign-row"]').length).toBe(2)
    const row = w.find('[data-campaign-id="4"]')
    expect(row.attributes('data-status')).toBe('sending')
    expect(row.find('[data-testid="campaign-progress-text"]').text()).toContain('1 sent · 2 failed · 1 queued · 0 skipped of 4')
    expect(row.find('[role="progressbar"]').attributes('aria-valuenow')).toBe('75')
    expect(row.find('[data-testid="campaign-edit"]').exists()).toBe(false) // started: no more changes
    expect(w.find('[data-campaign-id="2"] [data-testid="campaign-show-failures"]').exists()).toBe(false)
    expect(row.find('[data-testid="campaign-show-skipped"]').exists()).toBe(false) // none skipped
    await row.find('[data-testid="campaign-show-failures"]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.path.endsWith('/recipients')).query).toEqual({ status: 'failed', page: '1' })
    const reasons = row.findAll('[data-testid="campaign-failure-reason"]').map((r) => r.text())
    expect(reasons).toEqual(['Provider answered 400: invalid number', 'Outside the 24-hour window'])
  })

  it('pages through many failed contacts', async () => {
    const { default: Failures } = await import('../src/dashboard/campaigns/CampaignFailures.vue')
    const page = (n) => Array.from({ length: n === 1 ? 25 : 5 }, (_, i) => ({ contact_id: (n - 1) * 25 + i + 1, name: 'C', phone_number: '+1', status: 'failed', reason: 'r' + n }))
    const { calls, fetchImpl } = fakeServer({
      'GET /api/v1/accounts/1/campaigns/4/recipients': (_, q) => [200, { payload: page(Number(q.page)), meta: { count: 30, current_page: Number(q.page) } }],
    })
    globalThis.fetch = fetchImpl
    setUser(user('administrator'), false)
    const f = mount(Failures, { props: { accountId: 1, campaignId: 4 } })
    await flushPromises()
    expect(f.findAll('[data-testid="campaign-failure"]').length).toBe(25)
    expect(f.text()).toContain('Page 1 of 2 · 30 contacts')
    await f.find('[data-testid="campaign-failures-next"]').trigger('click')
    await flushPromises()
    expect(calls.map((c) => c.query.page)).toEqual(['1', '2'])
    expect(f.findAll('[data-testid="campaign-failure"]').length).toBe(5)
    expect(f.find('[data-testid="campaign-failures-next"]').attributes('disabled')).toBeDefined()
  })

  it('counts the audience as labels are chosen and builds a WhatsApp template campaign', async () => {
    const { default: Screen } = await import('../src/dashboard/campaigns/OneOffCampaigns.vue')
    const { w, calls } = await mountAt(Screen, '/app/accounts/1/campaigns/one_off', routes(), user('administrator'))
    await w.find('[data-testid="campaign-add"]').trigger('click')
    expect(w.findAll('[data-testid="campaign-inbox"] option').map((o) => o.text())).toEqual(['Choose an inbox', 'Acme SMS', 'Acme WhatsApp'])
    await w.find('[data-testid="campaign-title"]').setValue('Spring')
    await w.find('[data-testid="campaign-inbox"]').setValue('3')
    await flushPromises()
    await w.find('[data-testid="campaign-label-7"]').setValue(true)
    await w.find('[data-testid="campaign-label-8"]').setValue(true)
    await tick(500)
    await flushPromises()
    const asked = calls.filter((c) => c.path.endsWith('/campaigns/audience'))
    expect(asked.length).toBe(1) // debounced: one question for two quick clicks
    expect(asked[0].body).toEqual({ inbox_id: 3, audience: [{ type: 'Label', id: 7 }, { type: 'Label', id: 8 }] })
    expect(w.find('[data-testid="campaign-audience"]').attributes('data-size')).toBe('6')
    expect(w.find('[data-testid="campaign-audience"]').text()).toContain('6 contacts')
    expect(w.find('[data-testid="campaign-audience-partial"]').exists()).toBe(false)
    await w.find('[data-testid="campaign-label-8"]').setValue(false)
    await tick(500)
    await flushPromises()
    expect(w.find('[data-testid="campaign-audience"]').attributes('data-size')).toBe('3')
    expect(w.find('[data-testid="campaign-audience-partial"]').text()).toContain('still being indexed')
    await w.find('[data-testid="campaign-label-8"]').setValue(true)
    await tick(500)
    await flushPromises()

    // The templates come from GET inboxes/3 (the list's copy had none): approved only.
    expect(w.findAll('[data-testid="campaign-template"] option').map((o) => o.text())).toEqual(['Choose an approved template', 'no_params (de)', 'spring_sale (en_US)'])
    await w.find('[data-testid="campaign-sync-templates"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/inboxes/3/sync_templates'))).toBe(true)
    await w.find('[data-testid="campaign-template"]').setValue('spring_sale|en_US')
    expect(w.find('[data-testid="campaign-message"]').exists()).toBe(false)
    await w.find('[data-testid="campaign-param-1"]').setValue('Zoe')
    await w.find('[data-testid="campaign-param-2"]').setValue('20%')
    expect(w.find('[data-testid="campaign-template-preview"]').text()).toBe('Hi Zoe, 20% off everything until 20%. Bye Zoe!')
    await w.find('[data-testid="campaign-scheduled"]').setValue(toLocalInput(Math.floor(Date.now() / 1000) + 7200))
    await w.find('form').trigger('submit')
    await flushPromises()
    const made = calls.filter((c) => c.method === 'POST' && c.path.endsWith('/campaigns')).pop()
    expect(made.body).toMatchObject({ title: 'Spring', inbox_id: 3, message: 'Hi Zoe, 20% off everything until 20%. Bye Zoe!',
      template_params: { name: 'spring_sale', language: 'en_US', category: 'MARKETING', processed_params: { 1: 'Zoe', 2: '20%' } } })
    expect(w.find('[data-testid="campaign-form"]').exists()).toBe(false)
  })

  it('says so when the server has no audience count yet', async () => {
    const { default: Screen } = await import('../src/dashboard/campaigns/OneOffCampaigns.vue')
    const r = routes()
    delete r['POST /api/v1/accounts/1/campaigns/audience']
    const { w } = await mountAt(Screen, '/app/accounts/1/campaigns/one_off', r, user('administrator'))
    await w.find('[data-testid="campaign-add"]').trigger('click')
    await w.find('[data-testid="campaign-inbox"]').setValue('2')
    await w.find('[data-testid="campaign-label-7"]').setValue(true)
    await tick(500)
    await flushPromises()
    expect(w.find('[data-testid="campaign-audience"]').text()).toContain('not available on this server yet')
  })
})
