import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { blankProvider, count, isOwnSettings, money, providerBody, providerForm, usageOf } from '../src/dashboard/captain/provider.js'
import ProviderSettings from '../src/dashboard/captain/ProviderSettings.vue'
import AssistantEditor from '../src/dashboard/captain/AssistantEditor.vue'

const C = '/api/v1/accounts/1/captain'
const KEY = 'sk-secret-123456'
const bot = { id: 3, name: 'Ava', description: 'Billing', config: {}, response_guidelines: [], guardrails: [] }
const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })
const openai = { source: 'account', provider: 'openai_compatible', base_url: 'https://llm.acme.test/v1', chat_model: 'gpt-4o-mini', embedding_model: 'text-embedding-3-small', allow_private_address: false, api_key_set: true, monthly_budget_usd: 50, rate_limit_per_minute: 30 }

describe('captain provider model', () => {
  it('the form holds what the API renders, never a key', () => {
    const f = providerForm(openai)
    expect(f).toMatchObject({ provider: 'openai_compatible', base_url: 'https://llm.acme.test/v1', monthly_budget_usd: '50', rate_limit_per_minute: '30', api_key_set: true, key_action: 'keep', api_key: '' })
    expect(providerForm({ provider: 'weird', monthly_budget_usd: null })).toMatchObject({ provider: 'offline', monthly_budget_usd: '', private_addresses_allowed: true })
    expect(providerForm({ ...openai, private_addresses_allowed: false }).private_addresses_allowed).toBe(false)
  })

  it('the body sends a key only when replaced, "" to clear it, and each provider’s own fields', () => {
    const f = providerForm(openai)
    const kept = providerBody(f).body
    expect(kept).toEqual({ provider: 'openai_compatible', chat_model: 'gpt-4o-mini', embedding_model: 'text-embedding-3-small', base_url: 'https://llm.acme.test/v1', allow_private_address: false, monthly_budget_usd: 50, rate_limit_per_minute: 30 })
    expect('api_key' in kept).toBe(false)
    expect(providerBody({ ...f, key_action: 'replace', api_key: ' new-key ' }).body.api_key).toBe('new-key')
    expect(providerBody({ ...f, key_action: 'replace', api_key: ' ' }).error).toMatch(/new API key/)
    expect(providerBody({ ...f, key_action: 'clear' }).body.api_key).toBe('')
    expect(providerBody({ ...blankProvider(), provider: 'offline' }).body).toEqual({ provider: 'offline', monthly_budget_usd: null, rate_limit_per_minute: null })
    // An empty model is null (the server's default; it refuses "").
    expect(providerBody({ ...blankProvider(), provider: 'bedrock', chat_model: 'anthropic.claude-3-haiku' }).body).toEqual({ provider: 'bedrock', chat_model: 'anthropic.claude-3-haiku', embedding_model: null, monthly_budget_usd: null, rate_limit_per_minute: null })
    // An assistant's override: the model only, the limits are the account's.
    expect(providerBody(f, { scope: 'assistant' }).body).not.toHaveProperty('monthly_budget_usd')
  })

  it('refuses what the server would', () => {
    const ok = { ...providerForm(openai) }
    expect(providerBody({ ...ok, provider: 'gpt' }).error).toMatch(/provider/)
    expect(providerBody({ ...ok, base_url: '' }).error).toMatch(/base URL/)
    expect(providerBody({ ...ok, base_url: 'llm.acme.test' }).error).toMatch(/not a web address/)
    expect(providerBody({ ...ok, base_url: 'file:///etc/passwd' }).error).toMatch(/https/)
    expect(providerBody({ ...ok, base_url: 'http://llm.acme.test/v1' }).error).toMatch(/must be https/)
    expect(providerBody({ ...ok, base_url: 'http://10.0.0.5:11434/v1', allow_private_address: true }).body.base_url).toBe('http://10.0.0.5:11434/v1')
    expect(providerBody({ ...ok, chat_model: '' }).error).toMatch(/chat model/)
    for (const b of ['-1', 'abc', '2000000']) expect(providerBody({ ...ok, monthly_budget_usd: b }).error).toMatch(/budget/)
    expect(providerBody({ ...ok, chat_model: 'm'.repeat(201) }).error).toMatch(/200/)
    expect(providerBody({ ...ok, base_url: 'https://a.test/' + 'x'.repeat(2048) }).error).toMatch(/2048/)
    for (const r of ['0', '1.5', 'x', '10001']) expect(providerBody({ ...ok, rate_limit_per_minute: r }).error).toMatch(/rate limit/)
    expect(providerBody({ ...ok, monthly_budget_usd: '0' }).body.monthly_budget_usd).toBe(0)
    expect([isOwnSettings({ source: 'assistant' }), isOwnSettings({ source: 'account' }), isOwnSettings({ source: 'installation' }), isOwnSettings(null)]).toEqual([true, false, false, false])
  })

  it('usage figures per assistant, this month and last, against the budget', () => {
    const row = (id, name, f) => ({ assistant_id: id, assistant_name: name, calls: 0, input_tokens: 0, output_tokens: 0, answers: 0, handoffs: 0, cost_usd: 0, ...f })
    const res = {
      current: { month: '2026-12', assistants: [row(3, 'Ava', { calls: 1200, input_tokens: 100000, output_tokens: 20000, answers: 1100, handoffs: 100, cost_usd: 0.42 }), row(9, null, { calls: 1, input_tokens: 10, cost_usd: 0.001 })], total: { calls: 1201, input_tokens: 100010, output_tokens: 20000, answers: 1100, handoffs: 100, cost_usd: 0.421 } },
      previous: { month: '2026-11', assistants: [], total: { calls: 0, input_tokens: 0, output_tokens: 0, answers: 0, handoffs: 0, cost_usd: 0 } },
      monthly_budget_usd: 50.0, budget_exhausted: false, rate_limit_per_minute: 60,
    }
    const u = usageOf(res, [bot])
    expect(u.month).toBe('2026-12')
    expect([u.budget, u.exhausted, u.rate]).toEqual([50, false, 60])
    expect(u.rows).toEqual([
      { id: 3, name: 'Ava', calls: 1200, tokens: 120000, input: 100000, output: 20000, answers: 1100, handoffs: 100, cost: 0.42 },
      { id: 9, name: 'Deleted assistant 9', calls: 1, tokens: 10, input: 10, output: 0, answers: 0, handoffs: 0, cost: 0.001 },
    ])
    expect(u.total).toEqual({ calls: 1201, tokens: 120010, input: 100010, output: 20000, answers: 1100, handoffs: 100, cost: 0.421 })
    expect(u.previous).toMatchObject({ month: '2026-11', rows: [] })
    expect(usageOf(null)).toMatchObject({ month: '', budget: null, exhausted: false, rows: [], previous: null })
    expect([money(0.421), money(0.001), money(0), count(120010)]).toEqual(['$0.42', '$0.0010', '$0.00', '120,010'])
  })
})

describe('captain provider screens', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  function server(stored) {
    return {
      'GET /api/v1/accounts/1/captain/provider': () => [200, stored.account],
      'PATCH /api/v1/accounts/1/captain/provider': (b) => {
        const { api_key: key, ...rest } = b
        stored.account = { ...stored.account, ...rest, api_key_set: key === undefined ? stored.account.api_key_set : key !== '' }
        return [200, stored.account]
      },
      'GET /api/v1/accounts/1/captain/usage': () => [200, {
        current: { month: '2026-12', assistants: [{ assistant_id: 3, assistant_name: 'Ava', calls: 4, input_tokens: 300, output_tokens: 50, answers: 3, handoffs: 1, cost_usd: 0.0123 }], total: { calls: 4, input_tokens: 300, output_tokens: 50, answers: 3, handoffs: 1, cost_usd: 0.0123 } },
        previous: { month: '2026-11', assistants: [], total: { calls: 2, input_tokens: 0, output_tokens: 0, answers: 2, handoffs: 0, cost_usd: 0.5 } },
        monthly_budget_usd: stored.account.monthly_budget_usd, budget_exhausted: stored.exhausted || false, rate_limit_per_minute: 60,
      }],
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [bot] }],
    }
  }

  it('saves the account’s provider; the key is typed once, then shown only as set, replaced or cleared', async () => {
    const stored = { account: { provider: 'offline', base_url: '', chat_model: '', embedding_model: '', allow_private_address: false, api_key_set: false, monthly_budget_usd: null, rate_limit_per_minute: null } }
    const { w, calls } = await mountAt(ProviderSettings, '/app/accounts/1/captain/settings', server(stored), user('administrator'))
    const patches = () => calls.filter((c) => c.method === 'PATCH').map((c) => c.body)
    expect(w.get('[data-testid="captain-provider-provider"]').element.value).toBe('offline')
    expect(w.find('[data-testid="captain-provider-base-url"]').exists()).toBe(false)
    await w.get('[data-testid="captain-provider-provider"]').setValue('openai_compatible')
    await w.get('[data-testid="captain-provider-base-url"]').setValue('http://10.0.0.5:11434/v1')
    await w.get('[data-testid="captain-provider-chat-model"]').setValue('llama3.1')
    expect(w.find('[data-testid="captain-provider-private-warning"]').exists()).toBe(false)
    await w.get('[data-testid="captain-provider-private"]').setValue(true)
    expect(w.get('[data-testid="captain-provider-private-warning"]').text()).toMatch(/inside your network/)
    expect(w.get('[data-testid="captain-provider-api-key"]').attributes('type')).toBe('password')
    await w.get('[data-testid="captain-provider-api-key"]').setValue(KEY)
    await w.get('[data-testid="captain-provider-budget"]').setValue('25')
    await w.get('[data-testid="captain-provider-rate"]').setValue('0.5')
    await w.get('[data-testid="captain-provider-form"]').trigger('submit')
    expect(w.get('[data-testid="captain-provider-error"]').text()).toMatch(/rate limit/)
    expect(patches()).toHaveLength(0)
    await w.get('[data-testid="captain-provider-rate"]').setValue('60')
    await w.get('[data-testid="captain-provider-form"]').trigger('submit')
    await flushPromises()
    expect(patches()[0]).toEqual({ provider: 'openai_compatible', chat_model: 'llama3.1', embedding_model: null, base_url: 'http://10.0.0.5:11434/v1', allow_private_address: true, api_key: KEY, monthly_budget_usd: 25, rate_limit_per_minute: 60 })
    expect(w.find('[data-testid="captain-provider-saved"]').exists()).toBe(true)
    // The key is gone from the page: only "Set".
    expect(w.get('[data-testid="captain-provider-key-set"]').text()).toBe('Set')
    expect(w.find('[data-testid="captain-provider-api-key"]').exists()).toBe(false)
    expect(w.html()).not.toContain(KEY)

    // Saved again without touching the key: no key sent. Replace, then Clear.
    await w.get('[data-testid="captain-provider-form"]').trigger('submit')
    await flushPromises()
    expect('api_key' in patches()[1]).toBe(false)
    await w.get('[data-testid="captain-provider-key-replace"]').trigger('click')
    await w.get('[data-testid="captain-provider-api-key"]').setValue('sk-new')
    await w.get('[data-testid="captain-provider-form"]').trigger('submit')
    await flushPromises()
    expect(patches()[2].api_key).toBe('sk-new')
    await w.get('[data-testid="captain-provider-key-clear"]').trigger('click')
    expect(w.get('[data-testid="captain-provider-key-clearing"]').exists()).toBe(true)
    await w.get('[data-testid="captain-provider-form"]').trigger('submit')
    await flushPromises()
    expect(patches()[3].api_key).toBe('')
    expect(w.find('[data-testid="captain-provider-key-set"]').exists()).toBe(false)
    expect(w.get('[data-testid="captain-provider-api-key"]').element.value).toBe('')
  })

  it('a private address cannot be allowed where the installation refuses them', async () => {
    const { w } = await mountAt(ProviderSettings, '/app/accounts/1/captain/settings', server({ account: { ...openai, private_addresses_allowed: false } }), user('administrator'))
    expect(w.get('[data-testid="captain-provider-private"]').attributes('disabled')).toBeDefined()
    expect(w.get('[data-testid="captain-provider-private-off"]').text()).toMatch(/does not allow/)
  })

  it('shows this month’s usage per assistant', async () => {
    const { w } = await mountAt(ProviderSettings, '/app/accounts/1/captain/settings', server({ account: openai }), user('administrator'))
    expect(w.get('[data-testid="captain-usage"]').text()).toContain('2026-12')
    expect(w.get('[data-testid="captain-usage-total"]').text()).toMatch(/^4 model calls · 350 tokens · \$0\.01 of a \$50\.00 budget\s*· 3 answers · 1 handoffs$/)
    expect(w.get('[data-testid="captain-usage-row"]').text()).toMatch(/Ava\s*4\s*350\s*3\s*1\s*\$0\.01/)
    expect(w.get('[data-testid="captain-usage-previous"]').text()).toContain('Last month (2026-11): 2 model calls · $0.50')
    expect(w.find('[data-testid="captain-usage-exhausted"]').exists()).toBe(false)
  })

  it('says when the month’s budget is used up', async () => {
    const { w } = await mountAt(ProviderSettings, '/app/accounts/1/captain/settings', server({ account: openai, exhausted: true }), user('administrator'))
    expect(w.get('[data-testid="captain-usage-exhausted"]').text()).toMatch(/budget is used up/)
  })

  it('the settings are for administrators only', async () => {
    setUser(roleAgent(['knowledge_base_manage']), false)
    const router = await routerAt('/app/accounts/1/captain/settings', vi.fn(async () => new Response('{}')))
    expect(router.currentRoute.value.name).toBe('captain-faqs')
  })

  it('an assistant uses the account’s provider until given its own; its own can be dropped again', async () => {
    let own = null
    const { w, calls } = await mountAt(AssistantEditor, '/app/accounts/1/captain/assistants/3', {
      'GET /api/v1/accounts/1/captain/assistants/3': () => [200, bot],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [] }],
      'GET /api/v1/accounts/1/captain/assistants/3/inboxes': () => [200, { payload: [] }],
      'GET /api/v1/accounts/1/captain/provider': () => [200, openai],
      // The settings in force and where they come from, as the server answers.
      'GET /api/v1/accounts/1/captain/assistants/3/provider': () => [200, own || { ...openai, assistant_id: 3 }],
      'PATCH /api/v1/accounts/1/captain/assistants/3/provider': (b) => [200, (own = { ...openai, ...b, source: 'assistant', api_key_set: true })],
      'DELETE /api/v1/accounts/1/captain/assistants/3/provider': () => [200, { ...openai, assistant_id: 3 }],
    }, user('administrator'))
    expect(w.get('[data-testid="captain-assistant-provider-inherited"]').text()).toContain('OpenAI-compatible endpoint')
    await w.get('[data-testid="captain-assistant-provider-override"]').trigger('click')
    // Starts from the account's settings, but not its key, and without the account's limits.
    expect(w.get('[data-testid="captain-assistant-provider-base-url"]').element.value).toBe('https://llm.acme.test/v1')
    expect(w.find('[data-testid="captain-assistant-provider-key-set"]').exists()).toBe(false)
    expect(w.find('[data-testid="captain-assistant-provider-budget"]').exists()).toBe(false)
    await w.get('[data-testid="captain-assistant-provider-provider"]').setValue('bedrock')
    await w.get('[data-testid="captain-assistant-provider-chat-model"]').setValue('amazon.nova-lite-v1:0')
    await w.get('[data-testid="captain-assistant-provider-form"]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ provider: 'bedrock', chat_model: 'amazon.nova-lite-v1:0', embedding_model: 'text-embedding-3-small' })
    expect(w.find('[data-testid="captain-assistant-provider-saved"]').exists()).toBe(true)
    await w.get('[data-testid="captain-assistant-provider-reset"]').trigger('click')
    await w.get('[data-testid="captain-assistant-provider-reset-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([C + '/assistants/3/provider'])
    expect(w.find('[data-testid="captain-assistant-provider-inherited"]').exists()).toBe(true)
  })
})
