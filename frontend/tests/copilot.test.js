import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { fakeServer, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { menuItems, outcome } from '../src/dashboard/copilot/copilot.js'
import CopilotMenu from '../src/dashboard/copilot/CopilotMenu.vue'
import ReplyBox from '../src/dashboard/components/ReplyBox.vue'

const C = '/api/v1/accounts/1/captain/copilot'
const EVERY = ['reply_suggestion', 'summarize', 'fix_spelling_grammar', 'shorten', 'make_friendly', 'make_formal', 'label_suggestion']

afterEach(() => {
  clearSession()
  document.body.innerHTML = ''
})

describe('copilot model', () => {
  it('lists only the actions the server says are available, in menu order; rewrites need a draft', () => {
    expect(menuItems(['reply_suggestion'], '').map((i) => i.id)).toEqual(['reply_suggestion'])
    expect(menuItems(['label_suggestion', 'bogus', 'summarize'], 'x').map((i) => i.id)).toEqual(['summarize', 'label_suggestion'])
    expect(menuItems(null, 'x')).toEqual([])
    const empty = menuItems(EVERY, '  ')
    expect(empty.filter((i) => i.disabled).map((i) => i.id)).toEqual(['fix_spelling_grammar', 'shorten', 'make_friendly', 'make_formal'])
    expect(menuItems(EVERY, 'hello').some((i) => i.disabled)).toBe(false)
  })

  it('says where each result goes: the draft, below it, the panel, label chips, or why nothing', () => {
    expect(outcome('reply_suggestion', { content: ' Hi! ' }, '')).toEqual({ draft: 'Hi!' })
    expect(outcome('reply_suggestion', { content: 'Hi!' }, 'my text')).toEqual({ append: 'Hi!' })
    expect(outcome('shorten', { content: 'Short.' }, 'A long draft')).toEqual({ draft: 'Short.' })
    expect(outcome('summarize', { content: '- asked for a refund' }, 'x')).toEqual({ summary: '- asked for a refund' })
    expect(outcome('label_suggestion', { labels: ['billing', 3, ''] }, '')).toEqual({ labels: ['billing'] })
    expect(outcome('label_suggestion', { labels: [] }, '').nothing).toMatch(/No label/)
    expect(outcome('reply_suggestion', { content: '' }, '').nothing).toMatch(/No approved answer/)
    const offline = { content: 'First', generated: false, sources: [{ text: 'First' }, { text: 'Second' }] }
    expect(outcome('reply_suggestion', offline, '')).toEqual({ draft: 'First', others: ['Second'] })
  })
})

function mountMenu(routes, props = {}) {
  setUser(user('agent'), false)
  const server = fakeServer(routes)
  globalThis.fetch = server.fetchImpl
  const store = { setLabels: vi.fn(async () => []) }
  const wrapper = mount(CopilotMenu, { props: { store, accountId: 1, conversationId: 5, draft: '', labels: ['vip'], ...props }, attachTo: document.body })
  return { wrapper, server, store }
}

describe('CopilotMenu', () => {
  it('offline: only the reply suggestion is offered, and it goes into the draft (nothing is sent)', async () => {
    const { wrapper, server } = mountMenu({
      ['GET ' + C]: () => [200, { actions: ['reply_suggestion'], provider: 'offline', assistant_id: 3 }],
      ['POST ' + C + '/reply_suggestion']: () => [200, { action: 'reply_suggestion', content: 'Use the reset link.', generated: false, sources: [{ text: 'Use the reset link.' }] }],
    })
    await wrapper.get('[data-testid="copilot-button"]').trigger('click')
    await flushPromises()
    expect(server.calls[0].query).toEqual({ conversation_id: '5' })
    const items = wrapper.findAll('[data-testid="copilot-action"]')
    expect(items.map((i) => i.attributes('data-action'))).toEqual(['reply_suggestion'])
    await items[0].trigger('click')
    await flushPromises()
    expect(server.calls[1]).toMatchObject({ method: 'POST', path: C + '/reply_suggestion', body: { conversation_id: 5 } })
    expect(wrapper.emitted('insert')).toEqual([['Use the reset link.', 'replace']])
    expect(server.calls.some((c) => c.path.endsWith('/messages'))).toBe(false)
  })

  it('a rewrite sends the draft and replaces it; a summary shows in the panel', async () => {
    const { wrapper, server } = mountMenu({
      ['GET ' + C]: () => [200, { actions: EVERY, provider: 'openai_compatible' }],
      ['POST ' + C + '/make_formal']: (body) => [200, { action: 'make_formal', content: 'Dear customer, ' + body.draft }],
      ['POST ' + C + '/summarize']: () => [200, { action: 'summarize', content: '- wants a refund' }],
    }, { draft: 'hey there' })
    await wrapper.get('[data-testid="copilot-button"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-action="make_formal"]').trigger('click')
    await flushPromises()
    expect(server.calls[1].body).toEqual({ conversation_id: 5, draft: 'hey there' })
    expect(wrapper.emitted('insert')[0]).toEqual(['Dear customer, hey there', 'replace'])
    await wrapper.get('[data-testid="copilot-button"]').trigger('click')
    await wrapper.get('[data-action="summarize"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="copilot-summary"]').text()).toBe('- wants a refund')
    expect(server.calls.filter((c) => c.method === 'GET')).toHaveLength(1) // the actions are asked once
  })

  it('suggested labels are applied only when clicked, added to the conversation’s labels', async () => {
    const { wrapper, store } = mountMenu({
      ['GET ' + C]: () => [200, { actions: EVERY }],
      ['POST ' + C + '/label_suggestion']: () => [200, { action: 'label_suggestion', labels: ['billing', 'refund'], content: 'billing, refund' }],
    })
    await wrapper.get('[data-testid="copilot-button"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-action="label_suggestion"]').trigger('click')
    await flushPromises()
    expect(store.setLabels).not.toHaveBeenCalled()
    await wrapper.get('[data-label="refund"]').trigger('click')
    await flushPromises()
    expect(store.setLabels).toHaveBeenCalledWith(5, ['vip', 'refund'])
    expect(wrapper.findAll('[data-testid="copilot-label"]').map((l) => l.attributes('data-label'))).toEqual(['billing'])
  })

  it('a model failure shows the server’s reason and leaves the draft alone', async () => {
    const { wrapper } = mountMenu({
      ['GET ' + C]: () => [200, { actions: EVERY }],
      ['POST ' + C + '/reply_suggestion']: () => [503, { error: 'The model could not answer (timeout)', reason: 'timeout' }],
    })
    await wrapper.get('[data-testid="copilot-button"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-action="reply_suggestion"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="copilot-note"]').text()).toMatch(/timeout/)
    expect(wrapper.emitted('insert')).toBeUndefined()
  })
})

describe('ReplyBox with Copilot', () => {
  it('puts the suggestion in the editor for the agent to edit, and sends nothing by itself', async () => {
    setUser(user('agent'), false)
    const server = fakeServer({
      ['GET ' + C]: () => [200, { actions: ['reply_suggestion'] }],
      ['POST ' + C + '/reply_suggestion']: () => [200, { content: 'Use the reset link.', generated: false, sources: [] }],
    })
    globalThis.fetch = server.fetchImpl
    const store = { send: vi.fn(), typing: vi.fn(), searchCanned: vi.fn(async () => []), setLabels: vi.fn(), state: { agents: [] } }
    const wrapper = mount(ReplyBox, { props: { store, conversationId: 5, accountId: 1 }, attachTo: document.body })
    await wrapper.get('[data-testid="copilot-button"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-action="reply_suggestion"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="reply-input"]').element.value).toBe('Use the reset link.')
    expect(store.send).not.toHaveBeenCalled()
    // Without an account id (older callers) there is no Copilot menu.
    const plain = mount(ReplyBox, { props: { store, conversationId: 5 } })
    expect(plain.find('[data-testid="copilot-button"]').exists()).toBe(false)
  })
})
