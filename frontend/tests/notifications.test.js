import { describe, expect, it, vi } from 'vitest'
import {
  conversationIdOf,
  createMentionPicker,
  createNotificationStore,
  insertMention,
  mentionMarkdown,
  mentionQuery,
  showMentions,
} from '../src/dashboard/notifications.js'

describe('mentions', () => {
  it('writes Chatwoot mention markdown and reads it back as @Name', () => {
    const md = mentionMarkdown({ id: 7, name: 'Ada Admin' })
    expect(md).toBe('[@Ada Admin](mention://user/7/Ada%20Admin)')
    expect(showMentions('hi ' + md + ' look')).toBe('hi @Ada Admin look')
    expect(mentionMarkdown({ id: 3, name: 'x](evil)' })).toBe('[@xevil](mention://user/3/xevil)')
  })

  it('finds the "@query" before the caret only at a word start', () => {
    expect(mentionQuery('hello @ad', 9)).toEqual({ query: 'ad', start: 6 })
    expect(mentionQuery('@', 1)).toEqual({ query: '', start: 0 })
    expect(mentionQuery('mail me@ad', 10)).toBeNull()
    expect(mentionQuery('hello @ad more', 14)).toBeNull()
    expect(insertMention('hi @ad!', 3, 6, { id: 1, name: 'Ada' })).toEqual({
      text: 'hi [@Ada](mention://user/1/Ada) !',
      caret: 32,
    })
  })

  it('the picker filters agents, moves with arrows and picks with Enter', () => {
    const agents = [{ id: 1, name: 'Ada Admin' }, { id: 2, name: 'Aaron Agent' }, { id: 3, name: 'Bea' }]
    const p = createMentionPicker({ agents: () => agents })
    p.update('ping @a', 7)
    expect(p.state.open).toBe(true)
    expect(p.items.value.map((a) => a.id)).toEqual([1, 2, 3]) // "Bea" contains an a
    const key = (k) => ({ key: k, preventDefault: vi.fn() })
    expect(p.keydown(key('ArrowDown')).handled).toBe(true)
    const { agent } = p.keydown(key('Enter'))
    expect(agent.id).toBe(2)
    expect(p.apply('ping @a', agent).text).toBe('ping [@Aaron Agent](mention://user/2/Aaron%20Agent) ')
    expect(p.state.open).toBe(false)
    p.update(null)
    expect(p.keydown(key('Enter')).handled).toBe(false)
  })
})

describe('notification store', () => {
  it('loads, applies live frames once, marks read and reads all', async () => {
    const api = {
      get: vi.fn(async () => ({ data: { meta: { unread_count: 1, count: 1, current_page: 1 }, payload: [{ id: 5, read_at: null, primary_actor_type: 'Conversation', primary_actor_id: 9 }] } })),
      patch: vi.fn(async (path) => ({ id: 5, read_at: '2026-01-01T00:00:00Z', primary_actor_id: 9 })),
      post: vi.fn(async () => ({})),
    }
    const n = createNotificationStore({ api, accountId: 3 })
    await n.load()
    expect(api.get).toHaveBeenCalledWith('/api/v1/accounts/3/notifications', { page: 1 })
    expect(n.state.unread).toBe(1)
    const frame = { notification: { id: 6, read_at: null, primary_actor_id: 10 }, unread_count: 2, count: 2 }
    n.applyFrame(frame)
    n.applyFrame(frame)
    expect(n.state.items.map((x) => x.id)).toEqual([6, 5])
    expect(n.state.unread).toBe(2)
    await n.markRead(n.state.items[1])
    expect(api.patch).toHaveBeenCalledWith('/api/v1/accounts/3/notifications/5', {})
    expect(n.state.unread).toBe(1)
    await n.readAll()
    expect(n.state.unread).toBe(0)
    expect(n.state.items.every((x) => x.read_at)).toBe(true)
    expect(conversationIdOf(n.state.items[0])).toBe(10)
  })
})

describe('mention picker and late agents', () => {
  it('lists agents that load after the "@" was typed', async () => {
    const { reactive } = await import('vue')
    const store = reactive({ agents: [] })
    const p = createMentionPicker({ agents: () => store.agents })
    p.update('@ad', 3)
    expect(p.items.value).toEqual([])
    store.agents = [{ id: 1, name: 'Ada Admin' }]
    expect(p.items.value.map((a) => a.id)).toEqual([1])
  })
})

describe('notification store and a frame during a load', () => {
  it('keeps what arrived live while an older page was loading', async () => {
    let answer
    const api = { get: vi.fn(() => new Promise((r) => (answer = r))) }
    const n = createNotificationStore({ api, accountId: 1 })
    const loading = n.load()
    n.applyFrame({ notification: { id: 9, read_at: null }, unread_count: 3, count: 3 })
    answer({ data: { meta: { unread_count: 2, count: 2 }, payload: [{ id: 8, read_at: null }, { id: 7, read_at: null }] } })
    await loading
    expect(n.state.items.map((x) => x.id)).toEqual([9, 8, 7])
    expect(n.state.unread).toBe(3)
    expect(n.state.count).toBe(3)
  })
})

describe('reading a conversation', () => {
  it('marks only that conversation\'s unread notifications read', async () => {
    const api = { post: vi.fn(async () => ({})) }
    const n = createNotificationStore({ api, accountId: 2 })
    n.applyFrame({ notification: { id: 1, read_at: null, primary_actor_id: 4 }, unread_count: 1, count: 1 })
    n.applyFrame({ notification: { id: 2, read_at: null, primary_actor_id: 5 }, unread_count: 2, count: 2 })
    await n.readConversation(4)
    expect(api.post).toHaveBeenCalledWith('/api/v1/accounts/2/notifications/read_all', { primary_actor_type: 'Conversation', primary_actor_id: 4 })
    expect(n.state.unread).toBe(1)
    expect(n.state.items.find((x) => x.id === 2).read_at).toBeNull()
    await n.readConversation(4)
    expect(api.post).toHaveBeenCalledTimes(1)
  })
})
