// The dashboard's live data for one account: the conversation list and its counts, the
// open conversations' messages, agents and their presence, typing indicators. REST loads
// the snapshot; realtime frames keep it current (applied idempotently, see shared/realtime).
import { computed, reactive } from 'vue'
import { createRealtime, websocketUrl } from '../shared/realtime.js'
import { upsertMessage } from '../shared/text.js'
import { blobOf, deliver as deliverMessage, outgoing, unsent } from '../shared/outbox.js'
import { accountEndpoints, endpoints } from '../shared/endpoints.js'

const PRESENCE = { available: 'online', online: 'online', busy: 'busy', offline: 'offline' }
export const normalizeAvailability = (v) => PRESENCE[v] || 'offline'

export function activityOf(c) {
  return c.last_activity_at || c.timestamp || (c.messages && c.messages[0] && c.messages[0].created_at) || 0
}

export function createInboxStore({ api, accountId, me, realtimeFactory = createRealtime, wsUrl, token, onRevoked = () => {} }) {
  const paths = accountEndpoints(accountId)
  const state = reactive({
    tab: 'mine',
    status: 'open',
    conversations: {},
    counts: { mine_count: 0, unassigned_count: 0, all_count: 0 },
    page: 1,
    morePages: false,
    loadingList: false,
    listError: '',
    activeId: null,
    messages: {},
    hasOlder: {},
    loadingOlder: false,
    typing: {},
    agents: [],
    presence: {},
    contactPresence: {},
    inboxes: {},
    labels: null, // the account's labels (null until loaded; [] when the endpoint is missing)
    connection: 'connecting',
  })
  let socket = null
  const listeners = new Set() // other parts of the shell (the bell) that want frames too
  let refreshTimer = null
  const typingTimers = {}

  // ---- the list --------------------------------------------------------------------------

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
    if (!data || data.id == null) return null
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

  // ---- one conversation ------------------------------------------------------------------

  async function open(id) {
    state.activeId = id
    if (!state.conversations[id]) {
      try {
        upsertConversation(await api.get(paths.conversations(id)))
      } catch (err) {
        if (err.status === 404) throw err
      }
    }
    if (!state.messages[id]) await loadMessages(id)
    markRead(id)
  }

  async function loadMessages(id) {
    const res = await api.get(paths.conversations(id, 'messages'))
    const payload = (res && res.payload) || []
    const list = state.messages[id] || []
    payload.forEach((m) => upsertMessage(list, m))
    state.messages[id] = list
    state.hasOlder[id] = payload.length > 0
  }

  async function loadOlder(id) {
    const list = state.messages[id]
    if (!list || state.loadingOlder || !state.hasOlder[id]) return 0
    const oldest = list.find((m) => m.id != null)
    if (!oldest) return 0
    state.loadingOlder = true
    try {
      const res = await api.get(paths.conversations(id, 'messages'), { before: oldest.id })
      const payload = (res && res.payload) || []
      payload.forEach((m) => upsertMessage(list, m))
      state.hasOlder[id] = payload.length > 0
      return payload.length
    } finally {
      state.loadingOlder = false
    }
  }

  async function markRead(id) {
    const c = state.conversations[id]
    if (c) {
      c.unread_count = 0
      c.agent_last_seen_at = Math.floor(Date.now() / 1000)
    }
    try {
      await api.post(paths.conversations(id, 'update_last_seen'), {})
    } catch (err) {
      /* harmless */
    }
  }

  function deliver(id, local) {
    const post = () =>
      api.post(paths.conversations(id, 'messages'), {
        content: local.content,
        private: local.private,
        echo_id: local.echo_id,
        message_type: 'outgoing',
        ...(local._uploads && local._uploads.length ? { attachments: local._uploads } : {}),
      })
    return deliverMessage(state.messages[id], local, post, (saved) => bump(id, saved))
  }

  // A presigned S3 POST for a file to attach in conversation `id` (shared/upload.js).
  function presignUpload(id, file) {
    return api.post(paths.conversations(id, 'direct_uploads'), blobOf(file))
  }

  // `files`: uploaded attachments, [{ signedId, name, preview }], shown until the server's copy arrives.
  function send(id, content, isPrivate, files = []) {
    const text = String(content || '').trim()
    if (!text && !files.length) return Promise.resolve(false)
    if (!state.messages[id]) state.messages[id] = []
    const local = outgoing(text, files, {
      message_type: 1,
      private: !!isPrivate,
      created_at: Math.floor(Date.now() / 1000),
      conversation_id: id,
      sender: { id: me.id, name: me.name, avatar_url: me.avatar_url, type: 'user' },
      attachments: files.map((f) => ({ file_type: f.preview ? 'image' : 'file', data_url: f.preview, thumb_url: f.preview, file_name: f.name })),
    })
    state.messages[id].push(local)
    return deliver(id, local)
  }

  function retry(id, echo) {
    const local = unsent(state.messages[id], echo)
    return local ? deliver(id, local) : Promise.resolve(false)
  }

  async function toggleStatus(id, status) {
    const res = await api.post(paths.conversations(id, 'toggle_status'), { status })
    const current = (res && res.payload && res.payload.current_status) || (res && res.current_status) || status
    upsertConversation({ id, status: current })
    scheduleRefresh(300)
  }

  async function assign(id, assigneeId) {
    const res = await api.post(paths.conversations(id, 'assignments'), { assignee_id: assigneeId })
    let assignee = null
    if (assigneeId != null) {
      assignee = (res && res.id != null ? res : null) || state.agents.find((a) => a.id === assigneeId) || { id: assigneeId }
    }
    const c = state.conversations[id]
    if (c) state.conversations[id] = { ...c, meta: { ...(c.meta || {}), assignee } }
    scheduleRefresh(300)
  }

  // Replaces the conversation's labels (Chatwoot's POST .../labels); the answer is the list.
  async function setLabels(id, labels) {
    const res = await api.post(paths.conversations(id, 'labels'), { labels })
    const saved = res && Array.isArray(res.payload) ? res.payload : labels
    upsertConversation({ id, labels: saved })
    return saved
  }

  async function setPriority(id, priority) {
    const res = await api.post(paths.conversations(id, 'toggle_priority'), { priority })
    const saved = res && 'priority' in res ? res.priority : priority === 'none' ? null : priority
    upsertConversation({ id, priority: saved })
    return saved
  }

  async function searchCanned(text) {
    const res = await api.get(paths.resource('canned_responses'), { search: text })
    return Array.isArray(res) ? res : (res && res.payload) || []
  }

  // The account's labels, for suggestions; optional (an older server has no /labels).
  async function loadLabels() {
    if (state.labels) return state.labels
    try {
      const res = await api.get(paths.resource('labels'))
      state.labels = (Array.isArray(res) ? res : res && res.payload) || []
    } catch (err) {
      if (err.status === 404) state.labels = [] // not there yet: free-text labels only
      return []
    }
    return state.labels
  }

  function typing(id, on, isPrivate) {
    return api
      .post(paths.conversations(id, 'toggle_typing'), { typing_status: on ? 'on' : 'off', is_private: !!isPrivate })
      .catch(() => {})
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

  // ---- agents & presence -----------------------------------------------------------------

  // Presence is live only (never replayed by a resume), so the agents list is read again
  // after every resume.done: a change made before this socket was registered is in that
  // read, every later one arrives as a frame. A frame that lands while the read is in
  // flight is newer than the read, so the read does not overwrite it.
  let presenceTick = 0
  const presenceSetAt = {} // user id -> presenceTick of its last live change

  function setPresence(id, availability) {
    presenceSetAt[id] = ++presenceTick
    state.presence[id] = normalizeAvailability(availability)
  }

  async function loadAgents() {
    const asked = presenceTick
    try {
      const res = await api.get(paths.resource('agents'))
      state.agents = Array.isArray(res) ? res : (res && res.payload) || []
      for (const a of state.agents) {
        if ((presenceSetAt[a.id] || 0) <= asked) state.presence[a.id] = normalizeAvailability(a.availability_status)
      }
    } catch (err) {
      state.agents = []
    }
  }

  async function loadInboxes() {
    try {
      const res = await api.get(paths.resource('inboxes'))
      for (const i of (res && res.payload) || []) state.inboxes[i.id] = i
    } catch (err) {
      /* optional: the list just shows no inbox names */
    }
  }

  function availabilityOf(userId) {
    return state.presence[userId] || 'offline'
  }

  async function setAvailability(value) {
    const res = await api.post(endpoints.availability, { profile: { availability: value, account_id: accountId } })
    setPresence(me.id, value)
    return res
  }

  // ---- realtime --------------------------------------------------------------------------

  function onEvent(fn) {
    listeners.add(fn)
    return () => listeners.delete(fn)
  }

  function applyEvent(event, data) {
    if (!data || typeof data !== 'object') return
    for (const fn of listeners) fn(event, data)
    switch (event) {
      case 'message.created':
      case 'message.updated': {
        const id = data.conversation_id
        const list = state.messages[id]
        if (list) upsertMessage(list, data)
        if (event === 'message.updated') return
        const c = state.conversations[id]
        if (!c) {
          scheduleRefresh()
          return
        }
        const fresh = bump(id, data)
        if (fresh && data.message_type === 0) {
          if (state.activeId === id) markRead(id)
          else state.conversations[id].unread_count = (c.unread_count || 0) + 1
          clearTyping(id)
        }
        return
      }
      case 'conversation.created':
      case 'conversation.updated':
      case 'conversation.status_changed':
      case 'conversation.contact_changed':
      case 'conversation.read':
      case 'assignee.changed':
      case 'team.changed':
        upsertConversation(data)
        if (event !== 'conversation.read') scheduleRefresh()
        return
      case 'conversation.typing_on':
      case 'conversation.typing_off': {
        const conv = data.conversation || {}
        const user = data.user || {}
        if (conv.id == null || (user.type === 'user' && user.id === me.id)) return
        if (event === 'conversation.typing_off') return clearTyping(conv.id)
        state.typing[conv.id] = { name: user.name || 'Someone', isPrivate: !!data.is_private, contact: user.type === 'contact' }
        clearTimeout(typingTimers[conv.id])
        typingTimers[conv.id] = setTimeout(() => clearTyping(conv.id), 30000)
        return
      }
      case 'presence.update': {
        const users = data.users || {}
        for (const id of Object.keys(users)) setPresence(id, users[id])
        const contacts = data.contacts || {}
        for (const id of Object.keys(contacts)) state.contactPresence[id] = contacts[id]
        return
      }
    }
  }

  function clearTyping(id) {
    clearTimeout(typingTimers[id])
    delete state.typing[id]
  }

  function connect() {
    if (socket || !token) return
    socket = realtimeFactory({
      url: websocketUrl(wsUrl, { token, account_id: accountId }),
      onEvent: applyEvent,
      onStatus: (s) => (state.connection = s),
      onResumed: () => loadAgents(),
      onRevoked,
    })
  }

  function stop() {
    clearTimeout(refreshTimer)
    Object.values(typingTimers).forEach(clearTimeout)
    if (socket) socket.close()
    socket = null
  }

  async function start() {
    connect()
    await Promise.all([loadList({ reset: true }), loadAgents(), loadInboxes()])
  }

  return {
    state,
    list,
    start,
    stop,
    matches,
    loadList,
    loadMore,
    setFilter,
    open,
    loadOlder,
    markRead,
    send,
    presignUpload,
    retry,
    toggleStatus,
    assign,
    setLabels,
    setPriority,
    searchCanned,
    loadLabels,
    typing,
    setAvailability,
    availabilityOf,
    applyEvent,
    onEvent,
    upsertConversation,
  }
}
