import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { HANDOFF_REASONS, handoffReasonOf, handoffReasonText, handoffWords, isCaptainMessage } from '../src/dashboard/captain/handoff.js'
import { MAX_HISTORY, MAX_MESSAGE, answerTurn, playgroundBody, sourceOf } from '../src/dashboard/captain/playground.js'
import Playground from '../src/dashboard/captain/Playground.vue'
import PlaygroundHome from '../src/dashboard/captain/PlaygroundHome.vue'

const C = '/api/v1/accounts/1/captain'
const bot = { id: 3, name: 'Ava', description: 'Billing', config: {}, response_guidelines: [], guardrails: [] }
const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })

describe('captain playground model', () => {
  it('the body is the message and the turns so far as {role, content}, the latest ones', () => {
    const turns = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello', sources: [{}], handoff: null }, { role: 'assistant', content: '  ' }]
    expect(playgroundBody(turns, '  Refunds? ')).toEqual({ body: { message_content: 'Refunds?', message_history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] } })
    expect(playgroundBody([], ' ').error).toMatch(/Write a message/)
    expect(playgroundBody([], 'x'.repeat(MAX_MESSAGE + 1)).error).toMatch(/4000/)
    // A long answer in the history is cut to what the server takes.
    expect(playgroundBody([{ role: 'assistant', content: 'a'.repeat(5000) }], 'next').body.message_history[0].content).toHaveLength(MAX_MESSAGE)
    const many = Array.from({ length: 30 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'm' + i }))
    const history = playgroundBody(many, 'next').body.message_history
    expect(history).toHaveLength(MAX_HISTORY)
    expect(history.at(-1).content).toBe('m29')
  })

  it('reads an answer: response, reasoning, sources, the handoff and its reason in words', () => {
    const t = answerTurn({ response: 'A person will help', reasoning: 'asked for a human', handoff: { reason: 'customer_asked' }, sources: [{ type: 'faq', id: 4, title: 'Refunds' }, { type: 'document', id: 2, title: 'Guide', url: 'https://acme.test/g' }] })
    expect(t).toMatchObject({ role: 'assistant', content: 'A person will help', reasoning: 'asked for a human', handoff: { reason: 'customer_asked', text: HANDOFF_REASONS.customer_asked } })
    expect(t.sources).toEqual([{ key: 'faq:4', title: 'Refunds', kind: 'FAQ', url: '' }, { key: 'document:2', title: 'Guide', kind: 'Document', url: 'https://acme.test/g' }])
    expect(answerTurn({ response: 'Yes', handoff: null }).handoff).toBe(null)
    expect(answerTurn(null)).toMatchObject({ content: '', sources: [], handoff: null })
    expect(sourceOf({ type: 'article', question: 'How?' }, 0)).toMatchObject({ title: 'How?', kind: 'Help center' })
  })

  it('names every reason code, and a new one still reads as words', () => {
    for (const code of ['customer_asked', 'low_confidence', 'guardrail', 'model_cannot_help', 'repeated_failure', 'provider_error', 'budget_exhausted', 'rate_limited', 'answer_rejected']) {
      expect(handoffReasonText(code)).toBe(HANDOFF_REASONS[code])
    }
    expect(handoffReasonText('agent_on_holiday')).toBe('Agent on holiday.')
    expect(handoffReasonText('agent_on_holiday', 'every agent is away')).toBe('Every agent is away.')
    expect(handoffReasonText('guardrail', 'server words')).toBe(HANDOFF_REASONS.guardrail)
    expect(handoffReasonText('')).toBe('')
    expect(handoffReasonText('toString')).toBe('ToString.') // not an inherited property
    expect(handoffReasonOf({ content_attributes: { captain_handoff: { reason: 'guardrail', reason_text: 'x' } } })).toBe('guardrail')
    expect(handoffReasonOf({ content_attributes: {} })).toBe('')
    expect(handoffReasonOf({ content_attributes: { captain_handoff: 'guardrail' } })).toBe('')
    expect(handoffWords({ content_attributes: { captain_handoff: { reason: 'brand_new', reason_text: 'a new rule' } } })).toBe('A new rule.')
    expect(handoffWords({})).toBe('')
    expect(isCaptainMessage({ sender_type: 'captain_assistant' })).toBe(true)
    expect(isCaptainMessage({ sender: { id: 3, type: 'captain_assistant' } })).toBe(true)
    expect(isCaptainMessage({ sender_type: 'agent_bot', sender: { type: 'agent_bot' } })).toBe(false)
    expect(isCaptainMessage({ sender_type: 'agent', sender: { id: 3 } })).toBe(false)
  })
})

describe('captain playground screen', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  const server = (answer) => ({
    'GET /api/v1/accounts/1/captain/assistants/3': () => [200, bot],
    'POST /api/v1/accounts/1/captain/assistants/3/playground': answer,
  })

  it('sends each message with the conversation so far, shows the answer and its sources, and a handoff with its reason', async () => {
    const answers = [
      { response: 'Refunds take 5 days.', reasoning: 'Matched an approved FAQ', handoff: null, sources: [{ type: 'faq', id: 4, title: 'How long do refunds take?' }] },
      { response: 'Let me get you a person.', reasoning: '', handoff: { reason: 'customer_asked', reason_text: 'the customer asked for a person', message: 'Let me get you a person.' }, sources: [] },
    ]
    const { w, calls } = await mountAt(Playground, '/app/accounts/1/captain/assistants/3/playground', server(() => [200, answers.shift()]), user('administrator'))
    expect(w.text()).toContain('Playground: Ava')
    expect(w.find('[data-testid="captain-playground-empty"]').exists()).toBe(true)
    await w.get('[data-testid="captain-playground-input"]').setValue('How long do refunds take?')
    await w.get('[data-testid="captain-playground-input"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    const posts = () => calls.filter((c) => c.method === 'POST').map((c) => c.body)
    expect(posts()).toEqual([{ message_content: 'How long do refunds take?', message_history: [] }])
    expect(w.get('[data-testid="captain-playground-response"]').text()).toBe('Refunds take 5 days.')
    expect(w.get('[data-testid="captain-playground-source"]').text()).toBe('FAQ: How long do refunds take?')
    expect(w.get('[data-testid="captain-playground-reasoning"]').text()).toContain('Matched an approved FAQ')
    expect(w.find('[data-testid="captain-playground-handoff"]').exists()).toBe(false)

    await w.get('[data-testid="captain-playground-input"]').setValue('I want to talk to a human')
    await w.get('[data-testid="captain-playground-send"]').element.form.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(posts()[1]).toEqual({
      message_content: 'I want to talk to a human',
      message_history: [{ role: 'user', content: 'How long do refunds take?' }, { role: 'assistant', content: 'Refunds take 5 days.' }],
    })
    const handoff = w.get('[data-testid="captain-playground-handoff"]')
    expect(handoff.attributes('data-reason')).toBe('customer_asked')
    expect(handoff.text()).toBe('Handed off to a person: The customer asked for a person.')
    expect(w.findAll('[data-testid="captain-playground-turn"]').map((t) => t.attributes('data-role'))).toEqual(['user', 'assistant', 'user', 'assistant'])

    // Reset starts over: the next message has no history.
    await w.get('[data-testid="captain-playground-reset"]').trigger('click')
    expect(w.findAll('[data-testid="captain-playground-turn"]')).toHaveLength(0)
    answers.push({ response: 'Hi', handoff: null, sources: [] })
    await w.get('[data-testid="captain-playground-input"]').setValue('Hello')
    await w.get('[data-testid="captain-playground-input"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(posts()[2]).toEqual({ message_content: 'Hello', message_history: [] })
  })

  it('Shift+Enter does not send; a refused message goes back in the box with the server’s reason', async () => {
    const { w, calls } = await mountAt(Playground, '/app/accounts/1/captain/assistants/3/playground', server(() => [429, { error: 'Too many playground requests' }]), user('administrator'))
    await w.get('[data-testid="captain-playground-input"]').setValue('Hello')
    await w.get('[data-testid="captain-playground-input"]').trigger('keydown', { key: 'Enter', shiftKey: true })
    await flushPromises()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    await w.get('[data-testid="captain-playground-input"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(w.get('[data-testid="captain-playground-error"]').text()).toBe('Too many playground requests')
    expect(w.findAll('[data-testid="captain-playground-turn"]')).toHaveLength(0)
    expect(w.get('[data-testid="captain-playground-input"]').element.value).toBe('Hello')
  })

  it('an assistant of another account (404) says so', async () => {
    const { w } = await mountAt(Playground, '/app/accounts/1/captain/assistants/3/playground', { 'GET /api/v1/accounts/1/captain/assistants/3': () => [404, { error: 'Not found' }] }, user('administrator'))
    expect(w.text()).toContain('This account has no assistant 3.')
    expect(w.find('[data-testid="captain-playground-input"]').exists()).toBe(false)
  })

  it('a knowledge manager tests any assistant (switching starts over), without the assistant’s settings tabs', async () => {
    const bea = { ...bot, id: 4, name: 'Bea' }
    const { w, router } = await mountAt(Playground, '/app/accounts/1/captain/assistants/3/playground', {
      ...server(() => [200, { response: 'Hi', handoff: null, sources: [] }]),
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [bea, bot] }],
    }, roleAgent(['knowledge_base_manage']))
    expect(router.currentRoute.value.name).toBe('captain-playground')
    expect(w.find('[data-testid="captain-assistant-tab-settings"]').exists()).toBe(false)
    const choice = w.get('[data-testid="captain-playground-assistant"]')
    expect(choice.findAll('option').map((o) => o.text())).toEqual(['Ava', 'Bea'])
    expect(choice.element.value).toBe('3')
    await choice.setValue('4')
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/captain/assistants/4/playground')
  })

  it('the section’s Playground opens the first assistant’s, or says there is none', async () => {
    const { router } = await mountAt(PlaygroundHome, '/app/accounts/1/captain/playground', {
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [{ ...bot, id: 4, name: 'Bea' }, bot] }],
    }, roleAgent(['knowledge_base_manage']))
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/captain/assistants/3/playground')
    const none = await mountAt(PlaygroundHome, '/app/accounts/1/captain/playground', { 'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [] }] }, user('administrator'))
    expect(none.w.get('[data-testid="captain-playground-none"]').text()).toContain('No assistants yet')
    expect(none.w.get('[data-testid="captain-playground-none"] a').attributes('href')).toBe('/app/accounts/1/captain/assistants/new')
    // Nobody else: a plain agent never reaches it.
    setUser(user('agent'), false)
    const plain = await routerAt('/app/accounts/1/captain/assistants/3/playground', vi.fn(async () => new Response('{}')))
    expect(plain.currentRoute.value.name).toBe('conversations')
  })
})
