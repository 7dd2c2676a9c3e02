// The widget's state and everything it does: load config and history, send messages
// optimistically, apply realtime frames, run $chatwoot commands from the loader.
// Dependencies are injected so the unit tests can drive it without a browser.
import { reactive } from 'vue'
import { createApi } from '../shared/api.js'
import { createRealtime, websocketUrl } from '../shared/realtime.js'
import { widgetEndpoints as paths } from '../shared/widgetEndpoints.js'
import { upsertMessage } from '../shared/text.js'
import { blobOf, deliver as deliverMessage, outgoing, unsent } from '../shared/outbox.js'

export const MAX_LENGTH = 150000
const AGENT_TYPES = [1, 3]
const SCHEMES = ['light', 'auto', 'dark']
const USER_FIELDS = ['identifier_hash', 'name', 'email', 'avatar_url', 'phone_number', 'custom_attributes']

const toEpoch = (v) => (typeof v === 'number' ? v : v ? Date.parse(v) / 1000 || 0 : 0)
const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v)

export function tokenKey(websiteToken) {
  return 'parley.widget.' + websiteToken + '.auth'
}

function memoryStorage() {
  const m = new Map()
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) }
}

export function createWidgetStore(opts) {
  const {
    websiteToken,
    storage = memoryStorage(),
    bridge = { embedded: false, post() {} },
    fetchImpl,
    realtimeFactory = createRealtime,
    now = () => Date.now() / 1000,
  } = opts
  const key = tokenKey(websiteToken)
  const userKey = key.replace(/auth$/, 'user')
  let token = read(key)
  let socket = null
  let typingTimer = null
  let agentTypingTimer = null
  let typingOn = false
  let seenTimer = null
  let chain = Promise.resolve()
  let lastUnread = -1
  let newestLoaded = 0 // frames for messages up to this id are history (e.g. a resume replay)
  // Opening the widget creates no visitor: the first message, upload or setUser does and
  // hands its token back. Until then contact changes wait here, and calls wait for that one.
  let pendingContact = {}
  let firstCall = null

  const state = reactive({
    status: 'loading', // loading | ready | error
    error: '',
    config: {},
    contact: {},
    globalConfig: {},
    conversation: null,
    messages: [],
    hasMore: false,
    loadingOlder: false,
    agentTyping: '',
    agentsOnline: null,
    open: !bridge.embedded,
    unread: 0,
    contactLastSeenAt: 0,
    locale: opts.locale || '',
    scheme: SCHEMES.includes(opts.scheme) ? opts.scheme : 'light',
    showPopout: !!opts.showPopout,
    standalone: !bridge.embedded,
    preChatDone: false,
    campaign: null, // the ongoing campaign shown to this visitor, until its answer starts the conversation
  })
  let campaigns = {} // id -> the inbox's ongoing campaigns (GET campaigns), for a visitor without a conversation

  const api = createApi({
    fetchImpl,
    headers: () => (token ? { 'X-Auth-Token': token } : {}),
    query: () => ({ website_token: websiteToken }),
  })

  function read(k) {
    try {
      return storage.getItem(k) || ''
    } catch (e) {
      return ''
    }
  }
  function write(k, v) {
    try {
      if (v) storage.setItem(k, v)
      else storage.removeItem(k)
    } catch (e) {
      /* storage blocked: the session lasts as long as the page */
    }
  }
  function setToken(t) {
    token = t || ''
    write(key, token)
  }

  function report(err) {
    const message = (err && err.message) || String(err)
    bridge.post({ event: 'error', error: { message, status: err && err.status } })
  }

  // ---- loading ---------------------------------------------------------------------------

  async function init() {
    state.status = 'loading'
    state.error = ''
    let res
    try {
      res = await api.post(paths.config, {})
    } catch (err) {
      if (err.status === 401 && token) {
        // The stored session expired or was revoked: start a fresh one.
        setToken('')
        write(userKey, '')
        return init()
      }
      state.status = 'error'
      state.error = err.status === 404 ? 'This chat is not available.' : err.message
      report(err)
      return
    }
    state.config = res.website_channel_config || {}
    state.contact = res.contact || {}
    state.globalConfig = res.global_config || {}
    if (!state.locale && state.config.locale) state.locale = state.config.locale
    setToken(res.auth_token) // none: a new visitor, or a stored session the server no longer knows
    if (token) {
      try {
        await loadConversation()
      } catch (err) {
        report(err)
      }
    }
    connect()
    state.status = 'ready'
    bridge.post({ event: 'ready', color: state.config.widget_color || '' })
    publishUnread()
    if (state.open) markSeen()
    loadCampaigns()
  }

  // ---- ongoing campaigns -----------------------------------------------------------------
  // Only for a visitor who has no conversation yet (an answer would otherwise go to it):
  // the loader gets the trigger rules and watches the page, then asks for one ('campaign').

  async function loadCampaigns() {
    campaigns = {}
    if (!bridge.embedded || state.conversation) return
    let list
    try {
      list = await api.get(paths.campaigns)
    } catch (err) {
      return // the chat works without them
    }
    const rules = []
    for (const c of Array.isArray(list) ? list : []) {
      const t = (c && c.trigger_rules) || {}
      if (!Number.isInteger(c.id) || typeof t.url !== 'string' || typeof c.message !== 'string') continue
      campaigns[c.id] = c
      rules.push({ id: c.id, url: t.url, time: Number(t.time_on_page) || 0 })
    }
    if (rules.length) bridge.post({ event: 'campaigns', campaigns: rules })
  }

  function showCampaign(id) {
    const c = campaigns[id]
    if (!c || state.campaign || state.conversation || state.messages.length) return
    const sender = isObject(c.sender) ? c.sender : {}
    state.campaign = { id: c.id, message: c.message, sender: { name: sender.name || state.config.website_name || '', avatar_url: sender.avatar_url || '' } }
    api.post(paths.events, { name: 'campaign.triggered', event_info: { campaign_id: c.id } }).catch(() => {})
    bridge.post({ event: 'campaign-shown', id: c.id, name: state.campaign.sender.name, text: c.message })
  }

  // The conversation an answer started holds the campaign's message (written with it):
  // fetch it, since the socket only connected once the answer had made the visitor.
  async function campaignAnswered() {
    try {
      const res = await api.get(paths.messages)
      ;((res && res.payload) || []).filter((m) => !m.private).forEach((m) => upsertMessage(state.messages, m))
      state.campaign = null
    } catch (err) {
      report(err)
    }
  }

  async function loadConversation() {
    const list = await api.get(paths.conversations)
    const convs = Array.isArray(list) ? list : (list && list.payload) || []
    state.conversation = convs.find((c) => c.status !== 'resolved') || convs[0] || null
    const res = await api.get(paths.messages)
    const payload = ((res && res.payload) || []).filter((m) => !m.private)
    state.messages = payload.slice().sort((a, b) => a.id - b.id)
    newestLoaded = state.messages.length ? state.messages[state.messages.length - 1].id : 0
    state.hasMore = payload.length > 0
    const meta = (res && res.meta) || {}
    state.contactLastSeenAt = toEpoch(meta.contact_last_seen_at) || toEpoch(state.conversation && state.conversation.contact_last_seen_at)
  }

  async function loadOlder() {
    if (state.loadingOlder || !state.hasMore || !state.messages.length) return
    const oldest = state.messages.find((m) => m.id != null)
    if (!oldest) return
    state.loadingOlder = true
    try {
      const res = await api.get(paths.messages, { before: oldest.id })
      const payload = ((res && res.payload) || []).filter((m) => !m.private)
      payload.forEach((m) => upsertMessage(state.messages, m))
      state.hasMore = payload.length > 0
    } catch (err) {
      report(err)
    } finally {
      state.loadingOlder = false
    }
  }

  // ---- realtime --------------------------------------------------------------------------

  function connect() {
    if (socket) socket.close()
    socket = null
    const pubsub = state.contact && state.contact.pubsub_token
    if (!pubsub) return
    socket = realtimeFactory({
      url: websocketUrl(state.globalConfig.WEBSOCKET_URL, { pubsub_token: pubsub }),
      onEvent: applyEvent,
    })
  }

  function belongs(conversationId) {
    return !state.conversation || conversationId == null || conversationId === state.conversation.id
  }

  function applyEvent(event, data) {
    if (!isObject(data)) return
    switch (event) {
      case 'message.created':
      case 'message.updated': {
        if (data.private || !belongs(data.conversation_id)) return
        const known = state.messages.some((m) => (data.id != null && m.id === data.id) || (data.echo_id && m.echo_id === data.echo_id))
        if (event === 'message.updated' && !known) return
        if (!state.conversation && data.conversation_id != null) state.conversation = { id: data.conversation_id, status: 'open' }
        upsertMessage(state.messages, data)
        if (event === 'message.created' && !known && data.id > newestLoaded && AGENT_TYPES.includes(data.message_type)) {
          state.agentTyping = ''
          bridge.post({ event: 'message', message: data })
          if (state.open) markSeenSoon()
          else publishUnread()
        }
        return
      }
      case 'conversation.typing_on':
      case 'conversation.typing_off': {
        const conv = data.conversation || {}
        const user = data.user || {}
        if (data.is_private || user.type === 'contact' || !state.conversation || conv.id !== state.conversation.id) return
        clearTimeout(agentTypingTimer)
        state.agentTyping = event === 'conversation.typing_on' ? user.name || 'Agent' : ''
        if (state.agentTyping) agentTypingTimer = setTimeout(() => (state.agentTyping = ''), 30000)
        return
      }
      case 'conversation.created':
      case 'conversation.updated':
      case 'conversation.status_changed':
      case 'assignee.changed': {
        if (!state.conversation) {
          if (event === 'conversation.created') state.conversation = { ...data }
          return
        }
        if (data.id !== state.conversation.id) return
        const next = { ...state.conversation }
        if (data.status) next.status = data.status
        if ('assignee' in data) next.assignee = data.assignee
        else if (data.meta && 'assignee' in data.meta) next.assignee = data.meta.assignee
        state.conversation = next
        return
      }
      case 'presence.update': {
        const users = data.users || {}
        const values = Object.keys(users).map((k) => users[k])
        state.agentsOnline = values.length ? values.includes('online') : false
        return
      }
    }
  }

  // ---- unread & last seen ---------------------------------------------------------------

  function unreadCount() {
    if (state.open) return 0
    return state.messages.filter((m) => AGENT_TYPES.includes(m.message_type) && m.id != null && m.created_at > state.contactLastSeenAt).length
  }

  function publishUnread() {
    state.unread = unreadCount()
    if (state.unread !== lastUnread) {
      lastUnread = state.unread
      bridge.post({ event: 'unread', count: state.unread })
    }
  }

  async function markSeen() {
    clearTimeout(seenTimer)
    state.contactLastSeenAt = Math.max(state.contactLastSeenAt, now())
    publishUnread()
    if (!state.conversation) return
    try {
      await api.post(paths.lastSeen, {})
    } catch (err) {
      /* not worth bothering the visitor */
    }
  }

  function markSeenSoon() {
    clearTimeout(seenTimer)
    seenTimer = setTimeout(markSeen, 800)
  }

  // A CSAT survey's answer (the rating, then the feedback): `done(error)` tells the bubble.
  async function rateSurvey(messageId, answer, done = () => {}) {
    try {
      const updated = await api.patch(paths.messages + '/' + encodeURIComponent(messageId), {
        message: { submitted_values: { csat_survey_response: answer } },
      })
      if (isObject(updated)) upsertMessage(state.messages, updated)
      done('')
    } catch (err) {
      done((err && err.message) || 'Your rating could not be sent. Try again.')
    }
  }

  function setOpen(open) {
    state.open = open
    if (open) markSeen()
    else publishUnread()
  }

  // ---- the visitor's first call ----------------------------------------------------------

  async function asVisitor(call) {
    if (!token && firstCall) await firstCall.catch(() => {})
    if (token) return call()
    const first = call().then(adopt)
    firstCall = first
    try {
      return await first
    } finally {
      if (firstCall === first) firstCall = null
    }
  }

  // The response of a visitor's first message or upload carries its new token.
  async function adopt(res) {
    if (!res || !res.widget_auth_token || token) return res
    setToken(res.widget_auth_token)
    try {
      // Its contact and pubsub token (the socket), then the contact changes made meanwhile.
      const session = await api.post(paths.config, {})
      state.contact = (session && session.contact) || {}
      connect()
      await flushContact()
    } catch (err) {
      report(err) // the message itself was stored
    }
    return res
  }

  async function flushContact() {
    const changes = pendingContact
    pendingContact = {}
    if (!Object.keys(changes).length) return
    const res = await api.patch(paths.contact, changes)
    if (isObject(res)) state.contact = { ...state.contact, ...res }
  }

  function changeContact(changes) {
    if (token) return api.patch(paths.contact, changes)
    const attrs = { ...(pendingContact.custom_attributes || {}), ...(changes.custom_attributes || {}) }
    pendingContact = { ...pendingContact, ...changes, ...(Object.keys(attrs).length ? { custom_attributes: attrs } : {}) }
  }

  function needsConversation(what) {
    if (!token) throw new Error(what + ': no conversation yet, send a message first')
  }

  // ---- sending ---------------------------------------------------------------------------

  function deliver(local) {
    const hadConversation = state.conversation && state.conversation.status !== 'resolved' ? state.conversation.id : null
    const campaign = !state.conversation && state.campaign ? state.campaign.id : null
    const post = () => asVisitor(() => api.post(paths.messages, {
      message: { content: local.content, echo_id: local.echo_id, timestamp: new Date().toString(),
        ...(local._uploads.length ? { attachments: local._uploads } : {}),
        ...(campaign ? { campaign_id: campaign } : {}) },
    }))
    return deliverMessage(state.messages, local, post, (saved) => {
      if (saved.conversation_id != null && saved.conversation_id !== hadConversation) {
        state.conversation = { ...(state.conversation || {}), id: saved.conversation_id, status: 'open' }
        bridge.post({ event: 'conversation-started', conversation: { id: saved.conversation_id } })
        if (campaign) campaignAnswered()
        if (Object.keys(campaigns).length) {
          campaigns = {} // a visitor with a conversation is shown none: the loader stops watching
          bridge.post({ event: 'campaigns', campaigns: [] })
        }
      }
    })
  }

  // A presigned S3 POST for one file (shared/upload.js does the upload).
  function presignUpload(file) {
    return asVisitor(() => api.post(paths.directUploads, blobOf(file)))
  }

  // `files`: uploaded attachments, [{ signedId, name }].
  function send(content, files = []) {
    const text = String(content || '').trim()
    if (!text && !files.length) return Promise.resolve(false)
    if (text.length > MAX_LENGTH) return Promise.resolve(false)
    stopTyping()
    const local = outgoing(text, files, {
      message_type: 0,
      created_at: Math.floor(now()),
      sender: { type: 'contact', name: state.contact.name || '' },
      attachments: [],
    })
    state.messages.push(local)
    return deliver(local)
  }

  function retry(echo) {
    const local = unsent(state.messages, echo)
    return local ? deliver(local) : Promise.resolve(false)
  }

  function typing() {
    if (!state.conversation || state.conversation.status === 'resolved') return
    clearTimeout(typingTimer)
    typingTimer = setTimeout(stopTyping, 3000)
    if (typingOn) return
    typingOn = true
    api.post(paths.typing, { typing_status: 'on' }).catch(() => {})
  }

  function stopTyping() {
    clearTimeout(typingTimer)
    if (!typingOn) return
    typingOn = false
    api.post(paths.typing, { typing_status: 'off' }).catch(() => {})
  }

  // ---- pre-chat form ---------------------------------------------------------------------

  async function submitPreChat(values, message) {
    const fields = ((state.config.pre_chat_form_options || {}).pre_chat_fields || []).filter((f) => f.enabled !== false)
    const contact = {}
    const contactAttrs = {}
    const convAttrs = {}
    for (const f of fields) {
      const v = values[f.name]
      if (v === '' || v == null) continue
      if (f.name === 'emailAddress') contact.email = v
      else if (f.name === 'fullName') contact.name = v
      else if (f.name === 'phoneNumber') contact.phone_number = v
      else if (f.field_type === 'conversation_attribute') convAttrs[f.name] = v
      else contactAttrs[f.name] = v
    }
    if (Object.keys(contactAttrs).length) contact.custom_attributes = contactAttrs
    if (Object.keys(contact).length) {
      const res = await changeContact(contact) // errors go back to the form
      state.contact = { ...state.contact, ...(isObject(res) ? res : contact) }
    }
    state.preChatDone = true
    const sent = await send(message)
    if (sent && Object.keys(convAttrs).length) {
      await api.post(paths.setConversationAttributes, { custom_attributes: convAttrs }).catch(report)
    }
  }

  // ---- $chatwoot commands ----------------------------------------------------------------

  function command(name, args) {
    chain = chain.then(() => runCommand(name, args)).catch(report)
    return chain
  }

  async function runCommand(name, args) {
    const [a, b] = args
    // A command given the wrong argument fails with "<command> expects <what>".
    const expects = (ok, what) => {
      if (!ok) throw new Error(name + ' expects ' + what)
    }
    const named = typeof a === 'string' && !!a
    switch (name) {
      case 'setUser':
        return setUser(a, b)
      case 'setCustomAttributes':
        expects(isObject(a), 'an object')
        return changeContact({ custom_attributes: a })
      case 'deleteCustomAttribute':
        expects(named, 'a key')
        if (!token) {
          if (pendingContact.custom_attributes) delete pendingContact.custom_attributes[a]
          return
        }
        return api.post(paths.destroyContactAttributes, { custom_attributes: [a] })
      case 'setConversationCustomAttributes':
        expects(isObject(a), 'an object')
        needsConversation(name)
        return api.post(paths.setConversationAttributes, { custom_attributes: a })
      case 'deleteConversationCustomAttribute':
        expects(named, 'a key')
        needsConversation(name)
        return api.post(paths.destroyConversationAttributes, { custom_attributes: [a] })
      case 'setLabel':
        expects(named, 'a label')
        needsConversation(name)
        return api.post(paths.labels, { label: a })
      case 'removeLabel':
        expects(named, 'a label')
        needsConversation(name)
        return api.del(paths.label(a))
      case 'setLocale':
        if (typeof a === 'string' && /^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/.test(a)) state.locale = a
        return
      case 'setColorScheme':
        if (SCHEMES.includes(a)) state.scheme = a
        return
      case 'reset':
        return reset()
    }
  }

  async function setUser(identifier, user) {
    if ((typeof identifier !== 'string' && typeof identifier !== 'number') || identifier === '') {
      throw new Error('setUser expects an identifier')
    }
    user = isObject(user) ? user : {}
    const body = { identifier: String(identifier) }
    for (const f of USER_FIELDS) if (user[f] != null && user[f] !== '') body[f] = user[f]
    const fingerprint = JSON.stringify(body)
    if (token && read(userKey) === fingerprint) return // already identified as exactly this
    if (!token && firstCall) await firstCall.catch(() => {})
    const res = (await api.post(paths.setUser, body)) || {}
    write(userKey, fingerprint)
    const previous = state.contact.pubsub_token
    const created = !token
    state.contact = { ...state.contact, ...res }
    if (res.widget_auth_token) setToken(res.widget_auth_token)
    if (created) await flushContact()
    if (res.widget_auth_token || (res.pubsub_token && res.pubsub_token !== previous)) {
      // Identified as another contact: its conversation, its history, its socket.
      state.messages = []
      state.conversation = null
      state.campaign = null
      await loadConversation()
      connect()
      publishUnread()
    }
  }

  async function reset() {
    setToken('')
    write(userKey, '')
    if (socket) socket.close()
    socket = null
    state.messages = []
    state.conversation = null
    state.contact = {}
    pendingContact = {}
    state.preChatDone = false
    state.campaign = null
    state.agentTyping = ''
    lastUnread = -1
    if (bridge.embedded) state.open = false
    await init()
  }

  function popoutUrl() {
    const loc = globalThis.location
    const params = new URLSearchParams({ website_token: websiteToken, popout: '1' })
    if (state.locale) params.set('locale', state.locale)
    if (state.scheme !== 'light') params.set('dark_mode', state.scheme)
    return loc.origin + '/widget?' + params + (token ? '#auth=' + encodeURIComponent(token) : '')
  }

  function onParentMessage(msg) {
    if (msg.event === 'toggle') setOpen(msg.open)
    else if (msg.event === 'command') command(msg.name, msg.args)
    else if (msg.event === 'popout') bridge.post({ event: 'popout-url', url: popoutUrl() })
    else if (msg.event === 'campaign') showCampaign(msg.id)
  }

  function start() {
    token = read(key) // the embedded iframe's session may have been handed over since
    chain = init()
    return chain
  }

  return {
    state,
    api,
    start,
    init,
    loadOlder,
    send,
    presignUpload,
    retry,
    typing,
    stopTyping,
    submitPreChat,
    command,
    setOpen,
    rateSurvey,
    applyEvent,
    onParentMessage,
    popoutUrl,
    close: () => bridge.post({ event: 'close' }),
    fetchImpl, // the help center's public requests go through the same fetch (tests inject one)
    get token() {
      return token
    },
  }
}
