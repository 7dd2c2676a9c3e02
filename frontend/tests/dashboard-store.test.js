import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createInboxStore } from '../src/dashboard/store.js'
import { createApi } from '../src/shared/api.js'

const conv = (id, extra = {}) => ({
  id,
  status: 'open',
  unread_count: 0,
  last_activity_at: 1000 + id,
  messages: [],
  meta: { sender: { id: 50 + id, name: 'Contact ' + id }, assignee: null },
  ...extra,
})

function setup(listPayload, { failedSends = 0 } = {}) {
  const calls = []
  const fetchImpl = vi.fn(async (url, init) => {
    const u = new URL(url, 'http://parley.test')
    calls.push({ method: init.method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: init.headers, body: init.body && JSON.parse(init.body) })
    let body = {}
    if (u.pathname === '/api/v1/accounts/1/conversations') body = { data: { meta: { mine_count: 1, unassigned_count: 2, all_count: 3 }, payload: listPayload } }
    else if (u.pathname === '/api/v1/accounts/1/agents') body = [{ id: 7, name: 'Me', availability_status: 'available' }, { id: 8, name: 'Kim', availability_status: 'offline' }]
    else if (u.pathname.endsWith('/messages') && init.method === 'GET') body = { meta: {}, payload: [{ id: 11, content: 'hi', message_type: 0, conversation_id: 2 }] }
    else if (u.pathname.endsWith('/messages')) {
      if (failedSends-- > 0) return new Response(JSON.stringify({ error: 'boom' }), { status: 500 })
      const b = JSON.parse(init.body)
      body = { id: 12, content: b.content, private: b.private, message_type: 1, conversation_id: 2, created_at: 2000 }
    }
    if (init.method === 'DELETE') return new Response('', { status: 200 }) // Chatwoot's head :ok
    return new Response(JSON.stringify(body), { status: 200 })
  })
  const api = createApi({ fetchImpl, headers: () => ({ api_access_token: 'tok' }) })
  const sockets = []
  const store = createInboxStore({
    api,
    accountId: 1,
    me: { id: 7, name: 'Me' },
    token: 'tok',
    wsUrl: 'ws://127.0.0.1:3000/ws',
    realtimeFactory: (o) => (sockets.push(o), { close() {} }),
  })
  return { store, calls, sockets }
}

describe('dashboard inbox store', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('loads the list with filters and the auth header, and connects with token + account', async () => {
    const { store, calls, sockets } = setup([conv(1, { meta: { sender: {}, assignee: { id: 7 } } }), conv(2)])
    store.state.tab = 'all'
    await store.start()
    const list = calls.find((c) => c.path === '/api/v1/accounts/1/conversations')
    expect(list.query).toEqual({ assignee_type: 'all', status: 'open', page: '1' })
    expect(list.headers.api_access_token).toBe('tok')
    expect(sockets[0].url).toBe('ws://127.0.0.1:3000/ws?token=tok&account_id=1')
    expect(store.state.counts).toEqual({ mine_count: 1, unassigned_count: 2, all_count: 3 })
    expect(store.list.value.map((c) => c.id)).toEqual([2, 1])
    expect(store.availabilityOf(7)).toBe('online')
    expect(store.availabilityOf(8)).toBe('offline')
    await store.setFilter('mine', 'pending')
    expect(calls.at(-1).query).toEqual({ assignee_type: 'me', status: 'pending', page: '1' })
  })

  it('keeps the list live: new conversations, messages move to the top, unread counts', async () => {
    const { store } = setup([conv(1), conv(2)])
    store.state.tab = 'all'
    await store.start()
    store.applyEvent('conversation.created', conv(3, { last_activity_at: 1500 }))
    expect(store.list.value.map((c) => c.id)).toEqual([3, 2, 1])
    store.applyEvent('message.created', { id: 40, conversation_id: 1, message_type: 0, content: 'ping', created_at: 1600 })
    expect(store.list.value.map((c) => c.id)).toEqual([1, 3, 2])
    expect(store.state.conversations[1].unread_count).toBe(1)
    expect(store.state.conversations[1].messages[0].content).toBe('ping')
    store.applyEvent('conversation.status_changed', { id: 3, status: 'resolved' })
    expect(store.list.value.map((c) => c.id)).toEqual([1, 2]) // filter is "open"
  })

  it('drops a deleted conversation: on its frame, and after an administrator deletes it', async () => {
    const { store, calls } = setup([conv(1), conv(2), conv(3)])
    store.state.tab = 'all'
    await store.start()
    store.state.messages[2] = [{ id: 5, content: 'x' }]
    store.applyEvent('conversation.deleted', { id: 2, account_id: 1, inbox_id: 1, status: 'open' })
    expect(store.list.value.map((c) => c.id)).toEqual([3, 1])
    expect(store.state.messages[2]).toBeUndefined()
    expect(store.state.removed[2]).toBe(true)
    // A late frame or a list page read before the deletion does not bring it back.
    store.applyEvent('conversation.updated', conv(2, { last_activity_at: 5000 }))
    store.applyEvent('message.created', { id: 41, conversation_id: 2, message_type: 0, content: 'late', created_at: 5000 })
    expect(store.list.value.map((c) => c.id)).toEqual([3, 1])
    // An unknown id (a frame for a conversation never listed) changes nothing else.
    store.applyEvent('conversation.deleted', { id: 99 })
    expect(store.list.value.map((c) => c.id)).toEqual([3, 1])

    await store.deleteConversation(3)
    const del = calls.find((c) => c.method === 'DELETE')
    expect(del.path).toBe('/api/v1/accounts/1/conversations/3')
    expect(store.list.value.map((c) => c.id)).toEqual([1])
    vi.advanceTimersByTime(400) // the counts are re-read from the server
    expect(calls.filter((c) => c.path === '/api/v1/accounts/1/conversations' && c.method === 'GET').length).toBeGreaterThan(1)
  })

  it('keeps a conversation whose delete the server refused', async () => {
    const failing = createInboxStore({
      api: createApi({ fetchImpl: async () => new Response(JSON.stringify({ error: 'You are not authorized to do this action' }), { status: 403 }) }),
      accountId: 1, me: { id: 7 }, token: 'tok', wsUrl: 'ws://x', realtimeFactory: () => ({ close() {} }),
    })
    failing.upsertConversation(conv(4))
    await expect(failing.deleteConversation(4)).rejects.toThrow()
    expect(failing.state.conversations[4]).toBeTruthy()
    expect(failing.state.removed[4]).toBeUndefined()
  })

  it('moves conversations between tabs on assignment', async () => {
    const { store } = setup([conv(1), conv(2)])
    store.state.tab = 'unassigned'
    await store.start()
    expect(store.list.value).toHaveLength(2)
    store.applyEvent('assignee.changed', { id: 1, meta: { assignee: { id: 7, name: 'Me' } } })
    expect(store.list.value.map((c) => c.id)).toEqual([2])
    store.state.tab = 'mine'
    expect(store.list.value.map((c) => c.id)).toEqual([1])
    expect(store.state.conversations[1].meta.sender.name).toBe('Contact 1') // meta merged, not replaced
  })

  it('does not count replayed (older) messages as new', async () => {
    const { store } = setup([conv(1, { messages: [{ id: 30, content: 'latest', message_type: 0, created_at: 1001 }] })])
    store.state.tab = 'all'
    await store.start()
    store.applyEvent('message.created', { id: 12, conversation_id: 1, message_type: 0, content: 'old', created_at: 900 })
    expect(store.state.conversations[1].unread_count).toBe(0)
    expect(store.state.conversations[1].messages[0].content).toBe('latest')
    store.applyEvent('message.created', { id: 31, conversation_id: 1, message_type: 0, content: 'new', created_at: 1100 })
    expect(store.state.conversations[1].unread_count).toBe(1)
    expect(store.state.conversations[1].messages[0].content).toBe('new')
  })

  it('retries a failed send with the same echo_id, so the server stores it once', async () => {
    const { store, calls } = setup([conv(2)], { failedSends: 1 })
    await store.start()
    await store.open(2)
    expect(await store.send(2, 'once')).toBe(false)
    const failed = store.state.messages[2].at(-1)
    expect(failed).toMatchObject({ id: null, status: 'failed' })
    expect(await store.retry(2, failed.echo_id)).toBe(true)
    const posts = calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/accounts/1/conversations/2/messages')
    expect(posts).toHaveLength(2)
    expect(posts[0].body.echo_id).toBeTruthy()
    expect(posts[1].body.echo_id).toBe(posts[0].body.echo_id)
    expect(store.state.messages[2].filter((m) => m.content === 'once')).toEqual([expect.objectContaining({ id: 12, status: 'sent' })])
  })

  it('ignores an older copy of a conversation (replayed frame)', async () => {
    const { store } = setup([conv(1, { updated_at: 500, status: 'pending' })])
    store.state.status = 'all'
    await store.start()
    store.applyEvent('conversation.updated', { id: 1, updated_at: 400, status: 'open' })
    expect(store.state.conversations[1].status).toBe('pending')
  })

  it('sends replies and notes optimistically, and shows typing and presence', async () => {
    const { store, calls } = setup([conv(2)])
    await store.start()
    await store.open(2)
    expect(calls.some((c) => c.path === '/api/v1/accounts/1/conversations/2/update_last_seen')).toBe(true)
    const p = store.send(2, 'internal', true)
    expect(store.state.messages[2].at(-1)).toMatchObject({ id: null, private: true, status: 'sending' })
    await p
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/v1/accounts/1/conversations/2/messages')
    expect(post.body).toMatchObject({ content: 'internal', private: true, message_type: 'outgoing', echo_id: expect.any(String) })
    expect(store.state.messages[2].map((m) => m.id)).toEqual([11, 12])
    // the realtime copy of our own message doesn't duplicate it
    store.applyEvent('message.created', { id: 12, content: 'internal', private: true, message_type: 1, conversation_id: 2, created_at: 2000 })
    expect(store.state.messages[2]).toHaveLength(2)

    store.applyEvent('conversation.typing_on', { conversation: { id: 2 }, user: { id: 51, name: 'Contact 2', type: 'contact' }, is_private: false })
    expect(store.state.typing[2]).toMatchObject({ name: 'Contact 2', contact: true })
    store.applyEvent('conversation.typing_on', { conversation: { id: 2 }, user: { id: 7, name: 'Me', type: 'user' } })
    expect(store.state.typing[2].name).toBe('Contact 2') // our own typing is not shown
    store.applyEvent('conversation.typing_off', { conversation: { id: 2 }, user: { id: 51, type: 'contact' } })
    expect(store.state.typing[2]).toBeUndefined()

    store.applyEvent('presence.update', { account_id: 1, users: { 8: 'busy' }, contacts: { 52: 'online' } })
    expect(store.availabilityOf(8)).toBe('busy')
    expect(store.state.contactPresence[52]).toBe('online')
  })

  it('reads presence again once its socket is registered, keeping a live change that came meanwhile', async () => {
    // Presence frames are never replayed: one published before this socket was registered
    // (Kim came online while the dashboard loaded) is only in a read made after resume.done.
    let kim = 'offline'
    let answerAgents = null
    const fetchImpl = vi.fn(async (url) => {
      const path = new URL(url, 'http://parley.test').pathname
      if (path !== '/api/v1/accounts/1/agents') return new Response('{}', { status: 200 })
      const body = JSON.stringify([{ id: 8, name: 'Kim', availability_status: kim }, { id: 9, name: 'Lee', availability_status: 'online' }])
      if (!answerAgents) return new Response(body, { status: 200 })
      return new Promise((resolve) => (answerAgents = () => resolve(new Response(body, { status: 200 }))))
    })
    const sockets = []
    const store = createInboxStore({
      api: createApi({ fetchImpl, headers: () => ({}) }),
      accountId: 1,
      me: { id: 7 },
      token: 'tok',
      realtimeFactory: (o) => (sockets.push(o), { close() {} }),
    })
    await store.start()
    expect(store.availabilityOf(8)).toBe('offline')

    kim = 'online'
    answerAgents = true // the next read waits until answered below
    sockets[0].onResumed(0)
    await vi.waitFor(() => expect(typeof answerAgents).toBe('function'))
    store.applyEvent('presence.update', { account_id: 1, users: { 9: 'busy' }, contacts: {} }) // while it reads
    answerAgents()
    await vi.waitFor(() => expect(store.availabilityOf(8)).toBe('online'))
    expect(store.availabilityOf(9)).toBe('busy') // the frame is newer than the read
  })
})
