// Notifications (the bell) and @mentions in private notes.
//
// The bell's store loads the caller's notifications over REST and is kept current by the
// `notification.created` frame, which the server sends to the notified agent's sockets
// only. Mentions are written as Chatwoot's dashboard writes them:
// [@Name](mention://user/<id>/<Name>), which the server turns into notifications.
import { computed, reactive } from 'vue'
import { accountEndpoints } from '../shared/endpoints.js'

export const MAX_MENTION_OPTIONS = 8
const MENTION_RE = /\[@([^\]]{0,255})\]\(mention:\/\/(?:user|team)\/\d+\/[^)]{0,255}\)/g

// The mention markdown for one agent (the name is URL-encoded in the link, as Chatwoot does;
// brackets would end the label early, so they are dropped from it).
export function mentionMarkdown(agent) {
  const name = String(agent.available_name || agent.name || '').replace(/[[\]()]/g, '').trim() || 'agent'
  return '[@' + name + '](mention://user/' + Number(agent.id) + '/' + encodeURIComponent(name) + ')'
}

// A note's text as people read it: mentions become "@Name".
export function showMentions(text) {
  return text == null ? text : String(text).replace(MENTION_RE, (_, name) => '@' + name)
}

// The "@que" being typed just before the caret: {query, start} or null. The "@" must start
// the text or follow whitespace, and the query has no spaces yet.
export function mentionQuery(text, caret) {
  const before = String(text || '').slice(0, caret == null ? undefined : caret)
  const m = /(^|\s)@([^\s@[\]()]{0,30})$/.exec(before)
  return m ? { query: m[2], start: before.length - m[2].length - 1 } : null
}

// Replace the "@que" at `start` (up to the caret) with the agent's mention and a space.
export function insertMention(text, start, caret, agent) {
  const t = String(text || '')
  const inserted = mentionMarkdown(agent) + ' '
  return { text: t.slice(0, start) + inserted + t.slice(caret), caret: start + inserted.length }
}

export function matchAgents(agents, query) {
  const q = (query || '').toLowerCase()
  return (agents || [])
    .filter((a) => !q || (a.available_name || a.name || '').toLowerCase().includes(q) || (a.email || '').toLowerCase().startsWith(q))
    .slice(0, MAX_MENTION_OPTIONS)
}

// The conversation a notification is about (all of Chatwoot's types point at one).
export function conversationIdOf(n) {
  if (!n) return null
  if (n.primary_actor_type && n.primary_actor_type !== 'Conversation') return null
  if (n.primary_actor_id != null) return n.primary_actor_id
  return (n.primary_actor && n.primary_actor.id) || null
}

export function createNotificationStore({ api, accountId }) {
  const paths = accountEndpoints(accountId)
  const state = reactive({ items: [], unread: 0, count: 0, page: 0, more: false, loading: false, error: '' })

  function upsert(n) {
    if (!n || n.id == null) return
    const i = state.items.findIndex((x) => x.id === n.id)
    if (i >= 0) state.items[i] = { ...state.items[i], ...n }
    else state.items.push(n)
    state.items.sort((a, b) => b.id - a.id)
  }

  let liveDuringLoad = null // frames that arrive while a page loads are newer than it

  async function load(page = 1) {
    state.loading = true
    state.error = ''
    liveDuringLoad = []
    try {
      const res = await api.get(paths.notifications(), { page })
      const data = (res && res.data) || {}
      const meta = data.meta || {}
      const live = liveDuringLoad
      if (page === 1) state.items = state.items.filter((n) => live.some((x) => x.id === n.id))
      for (const n of data.payload || []) upsert(n)
      const missed = live.filter((n) => !(data.payload || []).some((x) => x.id === n.id))
      state.unread = (meta.unread_count || 0) + missed.filter((n) => !n.read_at).length
      state.count = (meta.count || 0) + missed.length
      state.page = page
      state.more = state.items.length < state.count
    } catch (err) {
      state.error = err.message
    } finally {
      state.loading = false
      liveDuringLoad = null
    }
  }

  async function markRead(n) {
    if (!n || n.read_at) return
    const res = await api.patch(paths.notifications(n.id), {})
    upsert(res && res.id ? res : { ...n, read_at: new Date().toISOString() })
    state.unread = Math.max(0, state.unread - 1)
  }

  async function readAll() {
    await api.post(paths.readAllNotifications, {})
    const now = new Date().toISOString()
    state.items = state.items.map((n) => (n.read_at ? n : { ...n, read_at: now }))
    state.unread = 0
  }

  // Opening a conversation reads its notifications, as in Chatwoot.
  async function readConversation(conversationId) {
    const mine = state.items.filter((n) => !n.read_at && conversationIdOf(n) === conversationId)
    if (!mine.length) return
    await api.post(paths.readAllNotifications, { primary_actor_type: 'Conversation', primary_actor_id: conversationId })
    const now = new Date().toISOString()
    state.items = state.items.map((n) => (mine.includes(n) ? { ...n, read_at: now } : n))
    state.unread = Math.max(0, state.unread - mine.length)
  }

  // The realtime frame: {notification, unread_count, count}. Frames may repeat (resume).
  function applyFrame(data) {
    if (!data || !data.notification) return
    const known = state.items.some((x) => x.id === data.notification.id)
    if (liveDuringLoad && !known) liveDuringLoad.push(data.notification)
    upsert(data.notification)
    if (typeof data.unread_count === 'number') state.unread = data.unread_count
    else if (!known && !data.notification.read_at) state.unread += 1
    if (typeof data.count === 'number') state.count = data.count
  }

  return { state, load, markRead, readAll, readConversation, applyFrame }
}

// The reply box's "@" picker for private notes: the account's agents whose name contains
// what follows the "@". Arrow keys move, Enter or Tab picks, Escape closes.
export function createMentionPicker({ agents }) {
  const state = reactive({ open: false, query: '', start: 0, caret: 0, index: 0 })
  // Computed, so agents that arrive after the "@" was typed still show up.
  const items = computed(() => (state.open ? matchAgents(agents(), state.query) : []))

  function close() {
    Object.assign(state, { open: false, query: '', index: 0 })
  }

  // `text` null (not a note) closes the picker.
  function update(text, caret) {
    const found = text == null ? null : mentionQuery(text, caret)
    if (!found) return close()
    if (state.query !== found.query) state.index = 0
    Object.assign(state, { open: true, query: found.query, start: found.start, caret: caret == null ? String(text).length : caret })
  }

  function keydown(e) {
    if (!state.open || e.isComposing) return { handled: false, agent: null }
    const n = items.value.length
    const swallow = (agent = null) => {
      e.preventDefault()
      return { handled: true, agent }
    }
    if (e.key === 'ArrowDown' && n) {
      state.index = (state.index + 1) % n
      return swallow()
    }
    if (e.key === 'ArrowUp' && n) {
      state.index = (state.index - 1 + n) % n
      return swallow()
    }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && n) return swallow(pick())
    if (e.key === 'Escape') {
      close()
      return swallow()
    }
    return { handled: false, agent: null }
  }

  function pick(i = state.index) {
    return items.value[i] || null
  }

  // The text and caret after inserting `agent` where the "@" was typed.
  function apply(text, agent) {
    const result = insertMention(text, state.start, state.caret, agent)
    close()
    return result
  }

  return { state, items, update, keydown, pick, apply, close }
}
