import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { accountEndpoints } from '../src/shared/endpoints.js'
import {
  assistantBody, assistantForm, blankAssistant, bulkBody, faqBody, faqFilters, faqQuery, keptOn, linesOf, pagesOf, toggled, toggledAll,
} from '../src/dashboard/captain/model.js'
import AppShell from '../src/dashboard/components/AppShell.vue'
import { stopInbox } from '../src/dashboard/current.js'
import AssistantEditor from '../src/dashboard/captain/AssistantEditor.vue'
import Assistants from '../src/dashboard/captain/Assistants.vue'
import Faqs from '../src/dashboard/captain/Faqs.vue'

const C = '/api/v1/accounts/1/captain'
const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })
const bot = {
  account_id: 1, id: 3, name: 'Ava', description: 'Answers billing questions', created_at: 1700000000, updated_at: 1700000000,
  config: { product_name: 'Acme Cloud', temperature: 0.3, feature_faq: true, feature_memory: false, feature_citation: false, welcome_message: 'Hi', handoff_message: 'A person will help', resolution_message: 'Bye', instructions: 'Be brief' },
  response_guidelines: ['Short answers'], guardrails: ['Refunds'],
}
const faq = (id, status = 'approved', extra = {}) => ({ id, question: 'Q' + id, answer: 'A' + id, assistant_id: 3, status, assistant: { id: 3, name: 'Ava' }, ...extra })

describe('captain model', () => {
  it('assistantBody sends name, description, the whole config, and trimmed, de-duplicated lists', () => {
    const values = { ...assistantForm(bot), name: '  Ava 2 ', response_guidelines: [' Short answers', '', 'Short answers', 'Cite sources '], guardrails: ['  '] }
    expect(assistantBody(values)).toEqual({
      body: {
        name: 'Ava 2', description: 'Answers billing questions',
        config: { product_name: 'Acme Cloud', temperature: 0.3, feature_faq: true, feature_memory: false, feature_citation: false, welcome_message: 'Hi', handoff_message: 'A person will help', resolution_message: 'Bye', instructions: 'Be brief' },
        response_guidelines: ['Short answers', 'Cite sources'], guardrails: [],
      },
    })
    // Config keys the server does not accept are never sent (it refuses unknown keys).
    expect(Object.keys(assistantBody(assistantForm({ ...bot, config: { ...bot.config, extra: 1 } })).body.config)).not.toContain('extra')
  })

  it('assistantBody refuses what the server would: no name, no description, temperature outside 0–1, long lines', () => {
    const ok = { ...blankAssistant(), name: 'A', description: 'B' }
    expect(assistantBody(ok).body.config.temperature).toBe(1)
    expect(assistantBody({ ...ok, name: ' ' }).error).toMatch(/name/)
    expect(assistantBody({ ...ok, description: '' }).error).toMatch(/Describe/)
    for (const t of [-0.1, 1.5, '', 'abc', null]) expect(assistantBody({ ...ok, temperature: t }).error).toMatch(/Temperature/)
    for (const t of [0, 0.5, 1, '0.7']) expect(assistantBody({ ...ok, temperature: t }).body.config.temperature).toBe(Number(t))
    expect(assistantBody({ ...ok, guardrails: ['x'.repeat(1001)] }).error).toMatch(/1000/)
    expect(assistantBody({ ...ok, response_guidelines: Array.from({ length: 51 }, (_, i) => 'g' + i) }).error).toMatch(/At most 50/)
    expect(assistantBody({ ...ok, instructions: 'x'.repeat(10001) }).error).toMatch(/10000/)
  })

  it('assistantForm fills missing config with the blank form’s values', () => {
    const f = assistantForm({ id: 1, name: 'N', description: 'D', config: { temperature: 'bad' } })
    expect(f.temperature).toBe(1)
    expect(f.feature_citation).toBe(true)
    expect(f.welcome_message).toBe('')
    expect(f.response_guidelines).toEqual([])
    expect(linesOf([' a', 'a', null, 'b '])).toEqual(['a', 'b'])
  })

  it('FAQ filters come from the address, cleaned, and go out as the list query', () => {
    expect(faqFilters({ assistant_id: '3', status: 'pending', search: 'refund', page: '2' })).toEqual({ assistant_id: '3', document_id: '', status: 'pending', search: 'refund', page: 2 })
    expect(faqFilters({ assistant_id: 'x', document_id: '1; drop', status: 'weird', page: '-1' })).toEqual({ assistant_id: '', document_id: '', status: '', search: '', page: 1 })
    expect(faqFilters({ document_id: '12' }).document_id).toBe('12')
    expect(faqQuery({ assistant_id: '', document_id: '12', status: '', search: '', page: 1 })).toEqual({ document_id: '12' })
    expect(faqQuery({ assistant_id: '3', status: 'approved', search: '  refund  ', page: 3 })).toEqual({ assistant_id: '3', status: 'approved', search: 'refund', page: 3 })
    expect(faqQuery({ assistant_id: '', status: '', search: ' ', page: 1 })).toEqual({})
    expect([pagesOf(0), pagesOf(25), pagesOf(26), pagesOf(51)]).toEqual([1, 1, 2, 3])
  })

  it('faqBody needs a question, an answer, an assistant and a known status', () => {
    const ok = { question: ' How? ', answer: ' Like this ', assistant_id: '3', status: 'pending' }
    expect(faqBody(ok)).toEqual({ body: { question: 'How?', answer: 'Like this', assistant_id: 3, status: 'pending' } })
    expect(faqBody({ ...ok, question: '' }).error).toMatch(/question/)
    expect(faqBody({ ...ok, answer: ' ' }).error).toMatch(/answer/)
    expect(faqBody({ ...ok, assistant_id: '' }).error).toMatch(/assistant/)
    expect(faqBody({ ...ok, status: 'draft' }).error).toMatch(/status/)
  })

  it('the bulk body is Chatwoot’s, and the selection toggles one row or the whole page', () => {
    expect(bulkBody('approve', [4, '5', 4])).toEqual({ type: 'AssistantResponse', ids: [4, 5], fields: { status: 'approve' } })
    expect(bulkBody('delete', [7]).fields.status).toBe('delete')
    expect(() => bulkBody('archive', [1])).toThrow()
    expect(toggled([1, 2], 2)).toEqual([1])
    expect(toggled([1], 2)).toEqual([1, 2])
    expect(toggledAll([1], [1, 2, 3])).toEqual([1, 2, 3])
    expect(toggledAll([1, 2, 3], [1, 2, 3])).toEqual([])
    expect(toggledAll([], [])).toEqual([])
    expect(keptOn([1, 5, 9], [5, 6])).toEqual([5])
  })

  it('builds the captain paths', () => {
    const e = accountEndpoints(1)
    expect(e.captain('assistants', 3, 'inboxes', 9)).toBe(C + '/assistants/3/inboxes/9')
    expect(e.captain('bulk_actions')).toBe(C + '/bulk_actions')
  })
})

describe('captain screens', () => {
  afterEach(() => {
    clearSession()
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('the nav entry and assistants are for administrators; FAQs also for knowledge_base_manage roles; nobody else', async () => {
    const fetchImpl = vi.fn(async () => new Response('[]'))
    const cases = [
      [user('administrator'), '/app/accounts/1/captain', 'captain-assistants', true],
      [user('administrator'), '/app/accounts/1/captain/assistants/3', 'captain-assistant', true],
      [roleAgent(['knowledge_base_manage']), '/app/accounts/1/captain', 'captain-faqs', true],
      [roleAgent(['knowledge_base_manage']), '/app/accounts/1/captain/assistants/3', 'captain-faqs', true],
      [roleAgent(['knowledge_base_manage']), '/app/accounts/1/captain/assistants/new', 'captain-faqs', true],
      [user('agent'), '/app/accounts/1/captain/faqs', 'conversations', false],
      [roleAgent(['conversation_manage', 'contact_manage']), '/app/accounts/1/captain/faqs', 'conversations', false],
    ]
    for (const [person, path, name, nav] of cases) {
      setUser(person, false)
      const router = await routerAt(path, fetchImpl)
      expect(router.currentRoute.value.name, path).toBe(name)
      const w = mount(AppShell, { global: { plugins: [router] } })
      expect(w.find('[data-testid="nav-captain"]').exists()).toBe(nav)
      if (nav) expect(w.get('[data-testid="nav-captain"]').attributes('href')).toBe('/app/accounts/1/captain')
      w.unmount()
      stopInbox()
    }
  })

  it('lists assistants and deletes one only after confirming', async () => {
    let list = [bot, { ...bot, id: 4, name: 'Bea' }]
    const { w, calls } = await mountAt(Assistants, '/app/accounts/1/captain/assistants', {
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: list, meta: { total_count: list.length, page: 1 } }],
      'DELETE /api/v1/accounts/1/captain/assistants/4': () => [200, {}],
    }, user('administrator'))
    expect(w.findAll('[data-testid="captain-assistant-row"]').map((r) => r.text())).toEqual([expect.stringContaining('Ava'), expect.stringContaining('Bea')])
    await w.get('[data-testid="captain-assistant-delete-4"]').trigger('click')
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await w.get('[data-testid="captain-assistant-delete-4-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([C + '/assistants/4'])
    expect(w.findAll('[data-testid="captain-assistant-row"]')).toHaveLength(1)
  })

  it('creates an assistant with its config and lists, refusing an invalid form without a request', async () => {
    const { w, calls, router } = await mountAt(AssistantEditor, '/app/accounts/1/captain/assistants/new', {
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [] }],
      'POST /api/v1/accounts/1/captain/assistants': (b) => [200, { ...b, id: 8, account_id: 1 }],
    }, user('administrator'))
    expect(w.find('[data-testid="captain-inboxes"]').exists()).toBe(false) // links come once it exists
    await w.get('[data-testid="captain-assistant-form"]').trigger('submit')
    expect(w.get('[data-testid="captain-assistant-error"]').text()).toMatch(/name/)
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    await w.get('[data-testid="captain-assistant-name"]').setValue('Ava')
    await w.get('[data-testid="captain-assistant-description"]').setValue('Billing help')
    await w.get('[data-testid="captain-assistant-temperature"]').setValue('0.4')
    await w.get('[data-testid="captain-assistant-feature-memory"]').setValue(true)
    await w.get('[data-testid="captain-assistant-handoff"]').setValue('Passing you to a person')
    await w.get('[data-testid="captain-guardrails-add"]').trigger('click')
    await w.get('[data-testid="captain-guardrails-input-0"]').setValue('Legal advice')
    await w.get('[data-testid="captain-guidelines-add"]').trigger('click')
    await w.get('[data-testid="captain-guidelines-add"]').trigger('click')
    await w.get('[data-testid="captain-guidelines-input-1"]').setValue('Be kind')
    await w.get('[data-testid="captain-assistant-form"]').trigger('submit')
    await flushPromises()
    const post = calls.find((c) => c.method === 'POST')
    expect(post.body).toEqual({
      name: 'Ava', description: 'Billing help',
      config: { product_name: '', temperature: 0.4, feature_faq: true, feature_memory: true, feature_citation: true, welcome_message: '', handoff_message: 'Passing you to a person', resolution_message: '', instructions: '' },
      response_guidelines: ['Be kind'], guardrails: ['Legal advice'],
    })
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/captain/assistants/8')
  })

  it('edits an assistant (a removed guardrail is gone from the PATCH) and links and unlinks inboxes', async () => {
    let linked = [{ id: 5, name: 'Website', channel_type: 'Channel::WebWidget' }]
    const { w, calls } = await mountAt(AssistantEditor, '/app/accounts/1/captain/assistants/3', {
      'GET /api/v1/accounts/1/captain/assistants/3': () => [200, bot],
      'PATCH /api/v1/accounts/1/captain/assistants/3': (b) => [200, { ...bot, ...b }],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [{ id: 5, name: 'Website' }, { id: 6, name: 'Email' }] }],
      'GET /api/v1/accounts/1/captain/assistants/3/inboxes': () => [200, { payload: linked, meta: { total_count: linked.length, page: 1 } }],
      'POST /api/v1/accounts/1/captain/assistants/3/inboxes': (b) => [200, (linked = linked.concat({ id: b.inbox.inbox_id, name: 'Email' })).at(-1)],
      'DELETE /api/v1/accounts/1/captain/assistants/3/inboxes/5': () => [200, {}],
    }, user('administrator'))
    expect(w.get('[data-testid="captain-assistant-name"]').element.value).toBe('Ava')
    expect(w.get('[data-testid="captain-assistant-temperature-value"]').text()).toBe('0.3')
    await w.get('[data-testid="captain-guardrails-remove-0"]').trigger('click')
    await w.get('[data-testid="captain-assistant-instructions"]').setValue('Answer in French')
    await w.get('[data-testid="captain-assistant-form"]').trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')
    expect(patch.body.guardrails).toEqual([])
    expect(patch.body.response_guidelines).toEqual(['Short answers'])
    expect(patch.body.config.instructions).toBe('Answer in French')
    expect(w.find('[data-testid="captain-assistant-saved"]').exists()).toBe(true)

    // Only the inboxes not linked yet are offered.
    expect(w.findAll('[data-testid="captain-inbox-choice"] option').map((o) => o.text())).toEqual(['Choose an inbox…', 'Email'])
    await w.get('[data-testid="captain-inbox-choice"]').setValue('6')
    await w.get('[data-testid="captain-inbox-link"]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST').body).toEqual({ inbox: { inbox_id: 6 } })
    expect(w.findAll('[data-testid="captain-inbox-row"]').map((r) => r.attributes('data-inbox-id'))).toEqual(['6', '5'])
    await w.get('[data-testid="captain-inbox-unlink-5"]').trigger('click')
    await w.get('[data-testid="captain-inbox-unlink-5-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([C + '/assistants/3/inboxes/5'])
    expect(w.findAll('[data-testid="captain-inbox-row"]').map((r) => r.attributes('data-inbox-id'))).toEqual(['6'])
  })

  it('shows the server’s refusal of a link (an inbox another assistant answers in)', async () => {
    const { w } = await mountAt(AssistantEditor, '/app/accounts/1/captain/assistants/3', {
      'GET /api/v1/accounts/1/captain/assistants/3': () => [200, bot],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [{ id: 6, name: 'Email' }] }],
      'GET /api/v1/accounts/1/captain/assistants/3/inboxes': () => [200, { payload: [] }],
      'POST /api/v1/accounts/1/captain/assistants/3/inboxes': () => [409, { error: 'That inbox is answered by another assistant' }],
    }, user('administrator'))
    await w.get('[data-testid="captain-inbox-choice"]').setValue('6')
    await w.get('[data-testid="captain-inbox-link"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="captain-inbox-error"]').text()).toMatch(/another assistant/)
  })

  function faqServer(pages) {
    return {
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [bot], meta: { total_count: 1, page: 1 } }],
      'GET /api/v1/accounts/1/captain/assistant_responses': (_, q) => [200, { payload: pages[Number(q.page || 1) - 1] || [], meta: { total_count: pages.flat().length, page: Number(q.page || 1) } }],
      'POST /api/v1/accounts/1/captain/bulk_actions': () => [200, []],
      'POST /api/v1/accounts/1/captain/assistant_responses': (b) => [200, { id: 99, ...b }],
      'PATCH /api/v1/accounts/1/captain/assistant_responses/2': (b) => [200, { ...faq(2), ...b }],
    }
  }

  it('FAQ filters and search go to the query and the address; pages of 25 from meta.total_count', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const page1 = Array.from({ length: 25 }, (_, i) => faq(i + 1))
    const page2 = Array.from({ length: 5 }, (_, i) => faq(i + 26, 'pending'))
    const { w, calls, router } = await mountAt(Faqs, '/app/accounts/1/captain/faqs?status=pending', faqServer([page1, page2]), roleAgent(['knowledge_base_manage']))
    const lists = () => calls.filter((c) => c.method === 'GET' && c.path === C + '/assistant_responses')
    expect(lists()[0].query).toEqual({ status: 'pending' })
    expect(w.get('[data-testid="captain-faq-page"]').text()).toContain('Page 1 of 2')
    await w.get('[data-testid="captain-faq-page-next"]').trigger('click')
    await flushPromises()
    expect(lists().at(-1).query).toEqual({ status: 'pending', page: '2' })
    expect(w.findAll('[data-testid="captain-faq-row"]')).toHaveLength(5)
    expect(w.get('[data-testid="captain-faq-page-next"]').attributes('disabled')).toBeDefined()
    // A filter goes back to page 1.
    await w.get('[data-testid="captain-faq-filter-assistant"]').setValue('3')
    await flushPromises()
    expect(lists().at(-1).query).toEqual({ status: 'pending', assistant_id: '3' })
    await w.get('[data-testid="captain-faq-search"]').setValue('  refund ')
    await vi.advanceTimersByTimeAsync(400)
    await flushPromises()
    expect(lists().at(-1).query).toEqual({ status: 'pending', assistant_id: '3', search: 'refund' })
    expect(router.currentRoute.value.query).toEqual({ status: 'pending', assistant_id: '3', search: 'refund' })
  })

  it('selects FAQs one by one or the whole page and approves or deletes them in one request', async () => {
    const { w, calls } = await mountAt(Faqs, '/app/accounts/1/captain/faqs', faqServer([[faq(1, 'pending'), faq(2, 'pending'), faq(3)]]), user('administrator'))
    const bulks = () => calls.filter((c) => c.path === C + '/bulk_actions')
    expect(w.find('[data-testid="captain-faq-bulk-approve"]').exists()).toBe(false) // nothing selected
    await w.get('[data-testid="captain-faq-select-1"]').setValue(true)
    await w.get('[data-testid="captain-faq-select-2"]').setValue(true)
    expect(w.get('[data-testid="captain-faq-selected-count"]').text()).toBe('2 selected')
    await w.get('[data-testid="captain-faq-bulk-approve"]').trigger('click')
    await flushPromises()
    expect(bulks().map((c) => c.body)).toEqual([{ type: 'AssistantResponse', ids: [1, 2], fields: { status: 'approve' } }])
    expect(w.find('[data-testid="captain-faq-selected-count"]').exists()).toBe(false) // cleared, list reloaded

    await w.get('[data-testid="captain-faq-select-all"]').setValue(true)
    expect(w.get('[data-testid="captain-faq-selected-count"]').text()).toBe('3 selected')
    await w.get('[data-testid="captain-faq-bulk-delete"]').trigger('click')
    expect(bulks()).toHaveLength(1) // asks first
    await w.get('[data-testid="captain-faq-bulk-delete-confirm"]').trigger('click')
    await flushPromises()
    expect(bulks()[1].body).toEqual({ type: 'AssistantResponse', ids: [1, 2, 3], fields: { status: 'delete' } })
  })

  it('adds an FAQ (its assistant chosen for a single-assistant account) and edits one', async () => {
    const { w, calls } = await mountAt(Faqs, '/app/accounts/1/captain/faqs', faqServer([[faq(2, 'pending')]]), user('administrator'))
    await w.get('[data-testid="captain-faq-form"]').trigger('submit')
    expect(w.get('[data-testid="captain-faq-error"]').text()).toMatch(/question/)
    await w.get('[data-testid="captain-faq-question"]').setValue('Do you ship abroad?')
    await w.get('[data-testid="captain-faq-answer"]').setValue('Yes, to the EU.')
    await w.get('[data-testid="captain-faq-form"]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST').body).toEqual({ question: 'Do you ship abroad?', answer: 'Yes, to the EU.', assistant_id: 3, status: 'approved' })

    await w.get('[data-testid="captain-faq-edit-2"]').trigger('click')
    expect(w.get('[data-testid="captain-faq-question"]').element.value).toBe('Q2')
    expect(w.get('[data-testid="captain-faq-status"]').element.value).toBe('pending')
    await w.get('[data-testid="captain-faq-status"]').setValue('approved')
    await w.get('[data-testid="captain-faq-answer"]').setValue('A better answer')
    await w.get('[data-testid="captain-faq-form"]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ question: 'Q2', answer: 'A better answer', assistant_id: 3, status: 'approved' })
  })
})
