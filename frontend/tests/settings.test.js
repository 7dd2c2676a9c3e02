import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import { createApi } from '../src/shared/api.js'
import { fakeServer, mountAt, user } from './screen.js'
import { createInboxStore } from '../src/dashboard/store.js'
import { createAppRouter } from '../src/dashboard/router.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { createCollection, listOf } from '../src/dashboard/settings/resource.js'
import { bodyOf, channelOf, formOf, invalidInbox } from '../src/dashboard/settings/inboxes.js'
import CannedResponses from '../src/dashboard/settings/CannedResponses.vue'
import Labels from '../src/dashboard/settings/Labels.vue'

// The collection tests talk to the fake server through the app's api client.
function server(routes) {
  const { calls, fetchImpl } = fakeServer(routes)
  return { calls, api: createApi({ fetchImpl }) }
}

describe('settings collections', () => {
  it('loads arrays and {payload} lists, creates, updates, removes', async () => {
    let items = [{ id: 2, name: 'b' }, { id: 1, name: 'a' }]
    const { api, calls } = server({
      'GET /api/v1/accounts/1/teams': () => [200, items],
      'POST /api/v1/accounts/1/teams': (b) => [200, { id: 3, ...b }],
      'PATCH /api/v1/accounts/1/teams/3': (b) => [200, { id: 3, name: b.name }],
      'DELETE /api/v1/accounts/1/teams/1': () => [200, {}],
    })
    const col = createCollection({ api, path: '/api/v1/accounts/1/teams', sort: (a, b) => a.name.localeCompare(b.name) })
    await col.load()
    expect(col.state.items.map((t) => t.id)).toEqual([1, 2])
    await col.create({ name: 'c' })
    await col.update(3, { name: '0' })
    expect(col.state.items.map((t) => t.name)).toEqual(['0', 'a', 'b'])
    await col.remove(1)
    expect(col.state.items.map((t) => t.id)).toEqual([3, 2])
    expect(calls.map((c) => c.method)).toEqual(['GET', 'POST', 'PATCH', 'DELETE'])
    expect(listOf({ payload: [1] })).toEqual([1])
    expect(listOf(null)).toEqual([])
  })

  it('a 404 on the list means "not available yet", not an error', async () => {
    const { api } = server({})
    const col = createCollection({ api, path: '/api/v1/accounts/1/labels' })
    await col.load()
    expect(col.state.unavailable).toBe(true)
    expect(col.state.error).toBe('')
  })
})

describe('inbox form', () => {
  it('builds Chatwoot bodies for website and API inboxes', () => {
    const f = formOf(null)
    expect(f.type).toBe('web_widget')
    Object.assign(f, { name: ' Shop ', website_url: 'https://shop.test', welcome_title: 'Hi', widget_color: '#112233' })
    expect(invalidInbox(f)).toBe('')
    expect(bodyOf(f, { create: true })).toEqual({
      name: 'Shop',
      channel: { type: 'web_widget', website_url: 'https://shop.test', welcome_title: 'Hi', welcome_tagline: '', widget_color: '#112233', reply_time: 'in_a_few_minutes' },
    })
    const api = { ...formOf(null), type: 'api', name: 'App', webhook_url: 'ftp://x' }
    expect(invalidInbox(api)).toMatch(/webhook URL/)
    api.webhook_url = 'https://hooks.test/x'
    expect(bodyOf(api, { create: true })).toEqual({ name: 'App', channel: { type: 'api', webhook_url: 'https://hooks.test/x' } })
    expect(invalidInbox({ ...f, name: ' ' })).toMatch(/name/)
    expect(channelOf({ channel_type: 'Channel::Api' })).toBe('api')
    expect(formOf({ channel_type: 'Channel::WebWidget', name: 'W', widget_color: '#000000' }).widget_color).toBe('#000000')
  })
})

describe('conversation labels, priority and canned search in the store', () => {
  it('posts the full label list, toggles priority, searches canned responses', async () => {
    const { api, calls } = server({
      'POST /api/v1/accounts/1/conversations/4/labels': (b) => [200, { payload: b.labels.slice().sort() }],
      'POST /api/v1/accounts/1/conversations/4/toggle_priority': (b) => [200, { id: 4, priority: b.priority === 'none' ? null : b.priority }],
      'GET /api/v1/accounts/1/canned_responses': (_, q) => [200, [{ id: 1, short_code: 'hi', content: 'Hello ' + q.search }]],
    })
    const store = createInboxStore({ api, accountId: 1, me: { id: 2 }, realtimeFactory: () => ({ close() {} }) })
    store.upsertConversation({ id: 4, status: 'open', labels: ['a'], meta: {} })
    expect(await store.setLabels(4, ['vip', 'a'])).toEqual(['a', 'vip'])
    expect(store.state.conversations[4].labels).toEqual(['a', 'vip'])
    await store.setPriority(4, 'urgent')
    expect(store.state.conversations[4].priority).toBe('urgent')
    await store.setPriority(4, 'none')
    expect(store.state.conversations[4].priority).toBe(null)
    expect(await store.searchCanned('x')).toEqual([{ id: 1, short_code: 'hi', content: 'Hello x' }])
    expect(calls.at(-1).query).toEqual({ search: 'x' })
    // No /labels endpoint yet: no suggestions, no error.
    expect(await store.loadLabels()).toEqual([])
    expect(store.state.labels).toEqual([])
  })
})

describe('settings screens', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  const mountScreen = (component, path, routes, role = 'administrator') => mountAt(component, path, routes, user(role))

  it('canned responses: create, and a duplicate short code shows the 409 inline', async () => {
    const items = []
    const { w } = await mountScreen(CannedResponses, '/app/accounts/1/settings/canned-responses', {
      'GET /api/v1/accounts/1/canned_responses': () => [200, items],
      'POST /api/v1/accounts/1/canned_responses': (b) =>
        items.some((i) => i.short_code === b.short_code)
          ? [409, { error: 'Short code has already been taken' }]
          : [200, items[items.push({ id: items.length + 1, ...b }) - 1]],
    })
    await w.get('[data-testid="canned-short-code"]').setValue('/thanks')
    await w.get('[data-testid="canned-content"]').setValue('Thank you!')
    await w.get('[data-testid="canned-form"]').trigger('submit')
    await flushPromises()
    expect(w.findAll('[data-testid="canned-row"]').map((r) => r.attributes('data-short-code'))).toEqual(['thanks'])
    expect(w.get('[data-testid="canned-short-code"]').element.value).toBe('')
    await w.get('[data-testid="canned-short-code"]').setValue('thanks')
    await w.get('[data-testid="canned-content"]').setValue('Again')
    await w.get('[data-testid="canned-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="canned-error"]').text()).toBe('Short code has already been taken')
    expect(w.findAll('[data-testid="canned-row"]')).toHaveLength(1)
    // Invalid codes never reach the server.
    await w.get('[data-testid="canned-short-code"]').setValue('two words')
    await w.get('[data-testid="canned-form"]').trigger('submit')
    expect(w.get('[data-testid="canned-error"]').text()).toMatch(/no spaces/)
  })

  it('canned responses are read-only for agents', async () => {
    const { w } = await mountScreen(
      CannedResponses,
      '/app/accounts/1/settings/canned-responses',
      { 'GET /api/v1/accounts/1/canned_responses': () => [200, [{ id: 1, short_code: 'hi', content: 'Hello' }]] },
      'agent',
    )
    expect(w.find('[data-testid="canned-form"]').exists()).toBe(false)
    expect(w.findAll('[data-testid="canned-row"]')).toHaveLength(1)
    expect(w.find('[data-testid="canned-edit"]').exists()).toBe(false)
  })

  it('labels: a server without /labels gets a clear message', async () => {
    const { w } = await mountScreen(Labels, '/app/accounts/1/settings/labels', {})
    expect(w.get('[data-testid="labels-unavailable"]').text()).toMatch(/not available/)
    expect(w.find('[data-testid="label-form"]').exists()).toBe(false)
  })

  it('agents are sent away from administrator-only settings', async () => {
    setUser(user('agent'), false)
    globalThis.fetch = vi.fn(async () => new Response('[]'))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/app/accounts/1/settings/inboxes')
    expect(router.currentRoute.value.name).toBe('settings-canned')
    await router.push('/app/accounts/1/settings')
    expect(router.currentRoute.value.name).toBe('settings-canned')
    setUser(user('administrator'), false)
    await router.push('/app/accounts/1/settings')
    expect(router.currentRoute.value.name).toBe('settings-inboxes')
    await router.push('/app/accounts/1/settings/teams/4')
    expect(router.currentRoute.value.params.teamId).toBe('4')
  })
})
