// The conversation list: the tab and status filter, the pages loaded so far, the counts,
// and merging a conversation from any source (REST or a frame) into it.
import { computed } from 'vue'

export function activityOf(c) {
  return c.last_activity_at || c.timestamp || (c.messages && c.messages[0] && c.messages[0].created_at) || 0
}

export function createList(ctx) {
  const { api, paths, state, me } = ctx
  let refreshTimer = null

  function matches(c) {
    if (state.status !== 'all' && c.status !== state.status) return false
    const assignee = c.meta && c.meta.assignee
    if (state.tab === 'mine') return !!assignee && assignee.id === me.id
    if (state.tab === 'unassigned') return !assignee
    return true
  }

  const list = computed(() =>
    Object.values(state.conversations)
      .filter(matches)
      .sort((a, b) => activityOf(b) - activityOf(a) || b.id - a.id),
  )

  function upsertConversation(data) {
    if (!data || data.id == null || state.removed[data.id]) return null
    const old = state.conversations[data.id]
    if (old && old.updated_at && data.updated_at && data.updated_at < old.updated_at) return old
    const next = old ? { ...old, ...data, meta: { ...(old.meta || {}), ...(data.meta || {}) } } : { ...data }
    if (old && (!data.messages || !data.messages.length)) next.messages = old.messages
    if (old && activityOf(old) > activityOf(next)) next.last_activity_at = activityOf(old)
    if (state.activeId === data.id) next.unread_count = 0
    state.conversations[data.id] = next
    return next
  }

  // The tabs are mine / unassigned / all; the API calls "mine" assignee_type=me.
  function listParams(page) {
    return { assignee_type: state.tab === 'mine' ? 'me' : state.tab, status: state.status, page }
  }

  async function loadList({ reset = false, page } = {}) {
    if (reset) {
      const keep = state.activeId != null ? state.conversations[state.activeId] : null
      state.conversations = keep ? { [keep.id]: keep } : {}
      state.page = 1
    }
    const p = page || state.page
    state.loadingList = true
    state.listError = ''
    try {
      const res = await api.get(paths.conversations(), listParams(p))
      const data = (res && res.data) || {}
      if (data.meta) Object.assign(state.counts, data.meta)
      const payload = data.payload || []
      payload.forEach(upsertConversation)
      state.page = p
      state.morePages = payload.length >= 25
    } catch (err) {
      state.listError = err.message
    } finally {
      state.loadingList = false
    }
  }

  function loadMore() {
    if (!state.morePages || state.loadingList) return
    return loadList({ page: state.page + 1 })
  }

  function setFilter(tab, status) {
    if (tab) state.tab = tab
    if (status) state.status = status
    return loadList({ reset: true })
  }

  // Counts come from the server; after realtime changes re-read them (debounced) together
  // with the first page, which also picks up conversations we have no frame for.
  function scheduleRefresh(delay = 1200) {
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(refreshCounts, delay)
  }

  async function refreshCounts() {
    try {
      const res = await api.get(paths.conversations(), listParams(1))
      const data = (res && res.data) || {}
      if (data.meta) Object.assign(state.counts, data.meta)
      ;(data.payload || []).forEach(upsertConversation)
    } catch (err) {
      /* the next event or reload will try again */
    }
  }

  function lastMessageId(c) {
    const last = c && c.messages && c.messages[0]
    return (last && last.id) || 0
  }

  // A message newer than the list's last message becomes the preview and moves the
  // conversation up; a replayed older one changes nothing. Returns whether it was newer.
  function bump(id, message) {
    const c = state.conversations[id]
    if (!c || message.id == null || message.id <= lastMessageId(c)) return false
    const next = { ...c, messages: [message] }
    if ((message.created_at || 0) >= activityOf(c)) next.last_activity_at = message.created_at
    state.conversations[id] = next
    return true
  }

  // A deleted conversation (this agent's delete, or a `conversation.deleted` frame) leaves
  // the list and the store; `removed` tells an open view of it to close. The counts are
  // the server's: re-read soon after.
  function removeConversation(id) {
    if (id == null) return false
    const known = id in state.conversations
    delete state.conversations[id]
    delete state.messages[id]
    delete state.hasOlder[id]
    delete state.typing[id]
    state.removed[id] = true
    scheduleRefresh(300)
    return known
  }

  const stopList = () => clearTimeout(refreshTimer)

  return { list, matches, upsertConversation, removeConversation, loadList, loadMore, setFilter, scheduleRefresh, bump, stopList }
}
