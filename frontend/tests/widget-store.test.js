import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createWidgetStore, tokenKey } from '../src/widget/store.js'
import { createBridge, validMessage } from '../src/widget/bridge.js'
import { encode } from '../src/shared/protocol.js'

// A fake Parley widget API: routes "METHOD /path" to handlers, records every call.
function fakeServer(overrides = {}) {
  const calls = []
  let nextId = 100
  const routes = {
    'POST /api/v1/widget/config': () => [
      200,
      {
        website_channel_config: { website_name: 'Acme', widget_color: '#123456', reply_time: 'in_a_few_minutes' },
        contact: { id: 1, name: 'Visitor', pubsub_token: 'pub-1' },
        auth_token: 'jwt-1',
        global_config: { WEBSOCKET_URL: 'ws://127.0.0.1:3000/ws' },
      },
    ],
    'GET /api/v1/widget/conversations': () => [200, [{ id: 7, status: 'open', contact_last_seen_at: 50 }]],
    'GET /api/v1/widget/messages': () => [
      200,
      { payload: [{ id: 2, content: 'b', message_type: 1, created_at: 60, conversation_id: 7 }, { id: 1, content: 'a', message_type: 0, created_at: 40, conversation_id: 7 }], meta: { contact_last_seen_at: 50 } },
    ],
    'POST /api/v1/widget/messages': (body) => [200, { id: nextId++, content: body.message.content, message_type: 0, created_at: 99, conversation_id: 7, status: 'sent' }],
    ...overrides,
  }
  const fetchImpl = vi.fn(async (url, init) => {
    const u = new URL(url, 'http://parley.test')
    const body = init.body ? JSON.parse(init.body) : undefined
    calls.push({ method: init.method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: init.headers, body })
    const handler = routes[init.method + ' ' + u.pathname]
    const [status, data, headers] = handler ? handler(body, u, init) : [404, { error: 'Not found' }]
    return new Response(data == null ? '' : JSON.stringify(data), { status, headers })
  })
  return { calls, fetchImpl, routes }
}

function memory(initial = {}) {
  const m = new Map(Object.entries(initial))
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k), map: m }
}

describe('widget store', () => {
  let server, storage, posted, sockets
  const bridge = () => ({ embedded: true, post: (m) => posted.push(m) })
  const realtimeFactory = (opts) => {
    const s = { opts, close: vi.fn() }
    sockets.push(s)
    return s
  }
  function make(extra = {}) {
    return createWidgetStore({ websiteToken: 'WT', storage, bridge: bridge(), fetchImpl: server.fetchImpl, realtimeFactory, ...extra })
  }

  beforeEach(() => {
    server = fakeServer()
    storage = memory()
    posted = []
    sockets = []
  })
  afterEach(() => vi.useRealTimers())

  it('loads config and history, stores the token, connects and tells the loader', async () => {
    const store = make()
    await store.start()
    const s = store.state
    expect(s.status).toBe('ready')
    expect(s.config.website_name).toBe('Acme')
    expect(s.messages.map((m) => m.id)).toEqual([1, 2]) // sorted oldest first
    expect(storage.getItem(tokenKey('WT'))).toBe('jwt-1')
    expect(server.calls.every((c) => c.query.website_token === 'WT')).toBe(true)
    expect(server.calls[0].headers['X-Auth-Token']).toBeUndefined()
    expect(server.calls[1].headers['X-Auth-Token']).toBe('jwt-1')
    expect(sockets[0].opts.url).toBe('ws://127.0.0.1:3000/ws?pubsub_token=pub-1')
    expect(posted[0]).toEqual({ event: 'ready', color: '#123456' })
    expect(posted[1]).toEqual({ event: 'unread', count: 1 }) // agent message at 60 > last seen 50
  })

  it('reuses the stored token after a reload, and starts over when it is rejected', async () => {
    storage.setItem(tokenKey('WT'), 'old')
    let first = true
    server.routes['POST /api/v1/widget/config'] = ((orig) => (b, u, init) => {
      if (first && init.headers['X-Auth-Token'] === 'old') {
        first = false
        return [401, { error: 'expired' }]
      }
      return orig()
    })(server.routes['POST /api/v1/widget/config'])
    const store = make()
    await store.start()
    expect(server.calls[0].headers['X-Auth-Token']).toBe('old')
    expect(server.calls[1].headers['X-Auth-Token']).toBeUndefined()
    expect(store.state.status).toBe('ready')
    expect(storage.getItem(tokenKey('WT'))).toBe('jwt-1')
  })

  it('sends optimistically with an echo_id and replaces the copy with the saved message', async () => {
    const store = make()
    await store.start()
    const p = store.send('  hello  ')
    const local = store.state.messages.at(-1)
    expect(local).toMatchObject({ id: null, content: 'hello', status: 'sending', message_type: 0 })
    await p
    const call = server.calls.find((c) => c.method === 'POST' && c.path === '/api/v1/widget/messages')
    expect(call.body.message).toMatchObject({ content: 'hello', echo_id: local.echo_id })
    expect(store.state.messages.filter((m) => m.content === 'hello')).toEqual([expect.objectContaining({ id: 100, status: 'sent', echo_id: local.echo_id })])
  })

  it('rates a CSAT survey with Chatwoot\'s body and shows the answer, or tells why not', async () => {
    const survey = { id: 2, content: 'Rate us', message_type: 3, content_type: 'input_csat', created_at: 60, conversation_id: 7, content_attributes: { display_type: 'star' } }
    server.routes['GET /api/v1/widget/messages'] = () => [200, { payload: [survey], meta: {} }]
    server.routes['PATCH /api/v1/widget/messages/2'] = (body) => [200, { ...survey, content_attributes: { ...survey.content_attributes, submitted_values: body.message.submitted_values } }]
    const store = make()
    await store.start()
    const done = vi.fn()
    await store.rateSurvey(2, { rating: 4 }, done)
    expect(server.calls.at(-1)).toMatchObject({ method: 'PATCH', body: { message: { submitted_values: { csat_survey_response: { rating: 4 } } } } })
    expect(store.state.messages[0].content_attributes.submitted_values.csat_survey_response).toEqual({ rating: 4 })
    expect(done).toHaveBeenCalledWith('')
    server.routes['PATCH /api/v1/widget/messages/2'] = () => [422, { error: 'You cannot update the CSAT survey after 14 days' }]
    await store.rateSurvey(2, { rating: 1 }, done)
    expect(done).toHaveBeenLastCalledWith(expect.stringContaining('14 days'))
    expect(store.state.messages[0].content_attributes.submitted_values.csat_survey_response).toEqual({ rating: 4 })
  })

  it('does not duplicate when the realtime echo beats the HTTP response', async () => {
    const store = make()
    await store.start()
    let release
    server.routes['POST /api/v1/widget/messages'] = (body) => {
      // the frame arrives (without echo_id) before the response
      store.applyEvent('message.created', { id: 100, content: body.message.content, message_type: 0, conversation_id: 7, created_at: 99 })
      return [200, { id: 100, content: body.message.content, message_type: 0, conversation_id: 7, created_at: 99 }]
    }
    await store.send('race')
    expect(store.state.messages.filter((m) => m.content === 'race')).toHaveLength(1)
    expect(release).toBeUndefined()
  })

  it('marks a failed send and retries it with the same echo_id', async () => {
    const store = make()
    await store.start()
    server.routes['POST /api/v1/widget/messages'] = () => [500, { error: 'boom' }]
    await store.send('try me')
    const failed = store.state.messages.at(-1)
    expect(failed).toMatchObject({ status: 'failed', id: null })
    server.routes['POST /api/v1/widget/messages'] = (b) => [200, { id: 300, content: b.message.content, message_type: 0, conversation_id: 7, echo_id: b.message.echo_id }]
    await store.retry(failed.echo_id)
    expect(store.state.messages.at(-1)).toMatchObject({ id: 300, status: 'sent', echo_id: failed.echo_id })
    const posts = server.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/widget/messages')
    expect(posts[0].body.message.echo_id).toBe(posts[1].body.message.echo_id)
  })

  it('announces a new conversation on the first message', async () => {
    server.routes['GET /api/v1/widget/conversations'] = () => [200, []]
    server.routes['GET /api/v1/widget/messages'] = () => [200, { payload: [], meta: {} }]
    const store = make()
    await store.start()
    expect(store.state.conversation).toBeNull()
    await store.send('first')
    expect(store.state.conversation.id).toBe(7)
    expect(posted).toContainEqual({ event: 'conversation-started', conversation: { id: 7 } })
  })

  it('applies realtime frames: agent messages, typing, private notes ignored, unread', async () => {
    const store = make()
    await store.start()
    posted.length = 0
    store.applyEvent('conversation.typing_on', { conversation: { id: 7 }, user: { id: 3, name: 'Sam', type: 'user' }, is_private: false })
    expect(store.state.agentTyping).toBe('Sam')
    store.applyEvent('conversation.typing_on', { conversation: { id: 7 }, user: { id: 4, name: 'Note', type: 'user' }, is_private: true })
    expect(store.state.agentTyping).toBe('Sam')
    const msg = { id: 3, content: 'hello from Sam', message_type: 1, created_at: 70, conversation_id: 7, sender: { name: 'Sam', type: 'user' } }
    store.applyEvent('message.created', msg)
    store.applyEvent('message.created', msg) // replay
    store.applyEvent('message.created', { id: 4, content: 'secret', message_type: 1, private: true, conversation_id: 7 })
    store.applyEvent('message.created', { id: 5, content: 'elsewhere', message_type: 1, conversation_id: 99 })
    expect(store.state.agentTyping).toBe('')
    expect(store.state.messages.map((m) => m.id)).toEqual([1, 2, 3])
    expect(posted).toEqual([{ event: 'message', message: msg }, { event: 'unread', count: 2 }])

    store.onParentMessage({ event: 'toggle', open: true })
    expect(store.state.unread).toBe(0)
    expect(posted.at(-1)).toEqual({ event: 'unread', count: 0 })
    expect(server.calls.some((c) => c.path === '/api/v1/widget/conversations/update_last_seen')).toBe(true)
  })

  it('does not announce history that a resume replays', async () => {
    const store = make()
    await store.start()
    posted.length = 0
    store.applyEvent('message.created', { id: 0.5, content: 'older agent message', message_type: 1, created_at: 10, conversation_id: 7 })
    expect(store.state.messages[0].content).toBe('older agent message') // shown, in order
    expect(posted.filter((m) => m.event === 'message')).toEqual([])
  })

  it('runs $chatwoot commands after init, in order, against the widget API', async () => {
    server.routes['POST /api/v1/widget/contact/set_user'] = () => [200, { id: 1, name: 'Ada', pubsub_token: 'pub-1' }]
    server.routes['PATCH /api/v1/widget/contact'] = () => [200, {}]
    server.routes['POST /api/v1/widget/labels'] = () => [200, {}]
    server.routes['DELETE /api/v1/widget/labels/vip%20one'] = () => [200, {}]
    server.routes['POST /api/v1/widget/conversations/set_custom_attributes'] = () => [200, {}]
    server.routes['POST /api/v1/widget/contact/destroy_custom_attributes'] = () => [200, {}]
    const store = make()
    store.start()
    store.command('setUser', ['u1', { name: 'Ada', email: 'ada@x.io', company: 'dropped' }])
    store.command('setCustomAttributes', [{ plan: 'pro' }])
    store.command('deleteCustomAttribute', ['plan'])
    store.command('setLabel', ['vip one'])
    store.command('removeLabel', ['vip one'])
    store.command('setConversationCustomAttributes', [{ order: 5 }])
    store.command('setColorScheme', ['dark'])
    await store.command('setLocale', ['pt_BR'])
    const writes = server.calls.filter((c) => c.method !== 'GET' && c.path !== '/api/v1/widget/config')
    expect(writes.map((c) => c.method + ' ' + c.path)).toEqual([
      'POST /api/v1/widget/contact/set_user',
      'PATCH /api/v1/widget/contact',
      'POST /api/v1/widget/contact/destroy_custom_attributes',
      'POST /api/v1/widget/labels',
      'DELETE /api/v1/widget/labels/vip%20one',
      'POST /api/v1/widget/conversations/set_custom_attributes',
    ])
    expect(writes[0].body).toEqual({ identifier: 'u1', name: 'Ada', email: 'ada@x.io' })
    expect(writes[2].body).toEqual({ custom_attributes: ['plan'] })
    expect(store.state.scheme).toBe('dark')
    expect(store.state.locale).toBe('pt_BR')

    // the same setUser again is not sent twice
    await store.command('setUser', ['u1', { name: 'Ada', email: 'ada@x.io' }])
    expect(server.calls.filter((c) => c.path.endsWith('/set_user'))).toHaveLength(1)
  })

  it('switches to the identified contact when set_user returns a new widget token', async () => {
    server.routes['POST /api/v1/widget/contact/set_user'] = () => [200, { id: 9, name: 'Ada', pubsub_token: 'pub-9', widget_auth_token: 'jwt-9' }]
    const store = make()
    await store.start()
    await store.command('setUser', ['u1', {}])
    expect(storage.getItem(tokenKey('WT'))).toBe('jwt-9')
    expect(server.calls.at(-1).headers['X-Auth-Token']).toBe('jwt-9') // history reloaded as the new contact
    expect(sockets.at(-1).opts.url).toContain('pubsub_token=pub-9')
    expect(sockets[0].close).toHaveBeenCalled()
  })

  it('reports bad command arguments to the loader as errors', async () => {
    const store = make()
    await store.start()
    await store.command('setLabel', [{ not: 'a string' }])
    expect(posted.at(-1)).toMatchObject({ event: 'error', error: { message: 'setLabel expects a label' } })
  })

  it('reset() forgets the visitor and starts a fresh session', async () => {
    storage.setItem(tokenKey('WT'), 'jwt-old')
    const store = make()
    await store.start()
    await store.command('reset', [])
    const configs = server.calls.filter((c) => c.path === '/api/v1/widget/config')
    expect(configs).toHaveLength(2)
    expect(configs[1].headers['X-Auth-Token']).toBeUndefined()
  })

  it('opens without creating a visitor; the first message does, and hands over its token', async () => {
    const anonymous = server.routes['POST /api/v1/widget/config']
    server.routes['POST /api/v1/widget/config'] = (b, u, init) => {
      const [status, data] = anonymous()
      return init.headers['X-Auth-Token'] === 'jwt-new' ? [status, data] : [status, { ...data, contact: {}, auth_token: null }]
    }
    let id = 100
    server.routes['POST /api/v1/widget/messages'] = (body, u, init) => [200, { id: id++, content: body.message.content, message_type: 0, conversation_id: 7,
      ...(init.headers['X-Auth-Token'] ? {} : { widget_auth_token: 'jwt-new' }) }]
    server.routes['PATCH /api/v1/widget/contact'] = (body) => [200, { id: 1, ...body }]
    storage.setItem(tokenKey('WT'), 'forgotten-by-the-server')
    const store = make()
    await store.start()
    expect(store.state.status).toBe('ready')
    expect(storage.getItem(tokenKey('WT'))).toBeNull() // a session the server does not know is dropped
    // No history to load; the ongoing campaigns' list is read (it creates nobody either).
    expect(server.calls.map((c) => c.path)).toEqual(['/api/v1/widget/config', '/api/v1/widget/campaigns'])
    expect(sockets).toHaveLength(0)
    await store.command('setCustomAttributes', [{ plan: 'pro' }]) // waits for the visitor
    await store.command('setLabel', ['vip'])
    expect(posted.at(-1)).toMatchObject({ event: 'error' })
    expect(server.calls.map((c) => c.path)).toEqual(['/api/v1/widget/config', '/api/v1/widget/campaigns'])
    await Promise.all([store.send('hello'), store.send('again')])
    const sends = server.calls.filter((c) => c.path === '/api/v1/widget/messages')
    expect(sends[0].headers['X-Auth-Token']).toBeUndefined()
    expect(sends[1].headers['X-Auth-Token']).toBe('jwt-new') // the second waited: one visitor, not two
    expect(storage.getItem(tokenKey('WT'))).toBe('jwt-new')
    expect(sockets.at(-1).opts.url).toContain('pubsub_token=pub-1')
    const patch = server.calls.find((c) => c.method === 'PATCH')
    expect(patch.body).toEqual({ custom_attributes: { plan: 'pro' } })
    expect(patch.headers['X-Auth-Token']).toBe('jwt-new')
    expect(store.state.messages.map((m) => m.status)).toEqual(['sent', 'sent'])
  })

  it('shows an unknown website token as unavailable', async () => {
    server.routes['POST /api/v1/widget/config'] = () => [404, { error: 'Not found' }]
    const store = make()
    await store.start()
    expect(store.state.status).toBe('error')
    expect(store.state.error).toBe('This chat is not available.')
    expect(posted[0]).toMatchObject({ event: 'error' })
  })
})

describe('widget bridge', () => {
  it('accepts only its parent, in the expected shape', () => {
    const parent = { postMessage: vi.fn() }
    const listeners = []
    const win = {
      parent,
      addEventListener: (t, fn) => listeners.push(fn),
      removeEventListener() {},
    }
    const got = []
    const bridge = createBridge(win, (m) => got.push(m))
    const deliver = (data, origin = 'https://shop.example', source = parent) => listeners.forEach((fn) => fn({ data, origin, source }))

    bridge.handshake(1000)
    deliver(encode({ event: 'session', token: '' })) // the loader's answer names the parent's origin
    deliver(encode({ event: 'toggle', open: true }))
    deliver(encode({ event: 'toggle', open: true }), 'https://evil.example') // other origin
    deliver(encode({ event: 'toggle', open: true }), 'https://shop.example', {}) // other window
    deliver(encode({ event: 'command', name: 'eval', args: [] })) // unknown command
    deliver(encode({ event: 'command', name: 'setLabel', args: 'x' })) // bad args
    deliver('{"event":"toggle","open":false}') // no prefix
    deliver(encode({ event: 'command', name: 'setLabel', args: ['x'] }))
    expect(got).toEqual([
      { event: 'toggle', open: true },
      { event: 'command', name: 'setLabel', args: ['x'] },
    ])

    bridge.post({ event: 'unread', count: 1 })
    expect(parent.postMessage).toHaveBeenCalledWith('parley-widget:{"event":"unread","count":1}', 'https://shop.example')
    expect(validMessage({ event: 'popout' })).toBe(true)
    expect(validMessage({ event: 'toggle', open: 'yes' })).toBe(false)
  })

  it('is inert when not framed (popout window)', () => {
    const win = { location: {}, document: {}, addEventListener() {}, removeEventListener() {} }
    win.parent = win
    const bridge = createBridge(win, () => {})
    expect(bridge.embedded).toBe(false)
    bridge.post({ event: 'ready' }) // no throw
  })
})

describe('widget store: ongoing campaigns', () => {
  let server, storage, posted
  const make = () =>
    createWidgetStore({ websiteToken: 'WT', storage, bridge: { embedded: true, post: (m) => posted.push(m) }, fetchImpl: server.fetchImpl, realtimeFactory: () => ({ close() {} }) })
  const CAMPAIGNS = [
    { id: 4, trigger_rules: { url: 'https://shop.test/pricing*', time_on_page: 2 }, message: 'Need a hand with plans?', sender: { name: 'Ana', avatar_url: '' } },
    { id: 'x', trigger_rules: { url: 'https://shop.test/*' }, message: 'bad id' },
    { id: 5, trigger_rules: { url: 'https://shop.test/*', time_on_page: 0 }, message: 'Hi!', sender: null },
  ]

  beforeEach(() => {
    posted = []
    storage = memory()
    let id = 200
    server = fakeServer({
      'POST /api/v1/widget/config': (b, u, init) => [200, {
        website_channel_config: { website_name: 'Acme' },
        contact: init.headers['X-Auth-Token'] ? { id: 9, pubsub_token: 'p' } : {},
        auth_token: init.headers['X-Auth-Token'] || null,
        global_config: {},
      }],
      'GET /api/v1/widget/campaigns': () => [200, CAMPAIGNS],
      'POST /api/v1/widget/events': () => [200, {}],
      'POST /api/v1/widget/messages': (body, u, init) => [200, { id: ++id, content: body.message.content, message_type: 0, conversation_id: 3, echo_id: body.message.echo_id,
        ...(init.headers['X-Auth-Token'] ? {} : { widget_auth_token: 'jwt-v' }) }],
      'GET /api/v1/widget/messages': () => [200, { payload: [
        { id: 200, content: 'Need a hand with plans?', message_type: 1, conversation_id: 3, content_attributes: { campaign_id: 4 } },
        { id: 201, content: 'Yes please', message_type: 0, conversation_id: 3 },
      ] }],
    })
  })

  it('hands the valid trigger rules to the loader, shows the one it asks for, and sends its id with the answer', async () => {
    const store = make()
    await store.start()
    await new Promise((r) => setTimeout(r, 0))
    expect(posted.find((m) => m.event === 'campaigns')).toEqual({ event: 'campaigns', campaigns: [
      { id: 4, url: 'https://shop.test/pricing*', time: 2 }, { id: 5, url: 'https://shop.test/*', time: 0 }] })
    store.onParentMessage({ event: 'campaign', id: 99 }) // not one of them
    expect(store.state.campaign).toBeNull()
    store.onParentMessage({ event: 'campaign', id: 4 })
    expect(store.state.campaign).toEqual({ id: 4, message: 'Need a hand with plans?', sender: { name: 'Ana', avatar_url: '' } })
    expect(posted.at(-1)).toEqual({ event: 'campaign-shown', id: 4, name: 'Ana', text: 'Need a hand with plans?' })
    const event = server.calls.find((c) => c.path === '/api/v1/widget/events')
    expect(event.body).toEqual({ name: 'campaign.triggered', event_info: { campaign_id: 4 } })
    expect(event.headers['X-Auth-Token']).toBeUndefined() // nobody is created by seeing it
    store.onParentMessage({ event: 'campaign', id: 5 }) // one at a time
    expect(store.state.campaign.id).toBe(4)

    await store.send('Yes please')
    const sent = server.calls.find((c) => c.method === 'POST' && c.path === '/api/v1/widget/messages')
    expect(sent.body.message.campaign_id).toBe(4)
    await new Promise((r) => setTimeout(r, 0))
    await new Promise((r) => setTimeout(r, 0))
    expect(store.state.campaign).toBeNull()
    expect(store.state.messages.map((m) => m.content)).toEqual(['Need a hand with plans?', 'Yes please'])
    expect(posted.filter((m) => m.event === 'campaigns').at(-1)).toEqual({ event: 'campaigns', campaigns: [] }) // the loader stops watching
    // The next message is an ordinary one.
    await store.send('More')
    const later = server.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/widget/messages')
    expect(later).toHaveLength(2)
    expect(later[1].body.message.campaign_id).toBeUndefined()
  })

  it('shows none to a visitor who already has a conversation', async () => {
    storage.setItem(tokenKey('WT'), 'jwt-old')
    server.routes['GET /api/v1/widget/conversations'] = () => [200, [{ id: 3, status: 'resolved' }]]
    const store = make()
    await store.start()
    await new Promise((r) => setTimeout(r, 0))
    expect(server.calls.some((c) => c.path === '/api/v1/widget/campaigns')).toBe(false)
    expect(posted.some((m) => m.event === 'campaigns')).toBe(false)
    store.onParentMessage({ event: 'campaign', id: 4 })
    expect(store.state.campaign).toBeNull()
  })

  it('accepts a campaign request from the loader only with an integer id', () => {
    expect(validMessage({ event: 'campaign', id: 4 })).toBe(true)
    expect(validMessage({ event: 'campaign', id: '4' })).toBe(false)
    expect(validMessage({ event: 'campaign' })).toBe(false)
  })
})
