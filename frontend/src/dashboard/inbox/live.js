// Realtime: the account's socket, its frames applied to the store (idempotently, see
// shared/realtime), typing indicators, and listeners elsewhere in the shell (the bell).
import { createRealtime, websocketUrl } from '../../shared/realtime.js'
import { upsertMessage } from '../../shared/text.js'

export function createLive(ctx, { realtimeFactory = createRealtime, wsUrl, token, onRevoked = () => {} }) {
  const { state, me, accountId } = ctx
  let socket = null
  const listeners = new Set()
  const typingTimers = {}

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
          ctx.scheduleRefresh()
          return
        }
        const fresh = ctx.bump(id, data)
        if (fresh && data.message_type === 0) {
          if (state.activeId === id) ctx.markRead(id)
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
      case 'sla.missed': // an SLA deadline passed: the conversation with its applied_sla and sla_events
      case 'assignee.changed':
      case 'team.changed':
        ctx.upsertConversation(data)
        if (event !== 'conversation.read') ctx.scheduleRefresh()
        return
      case 'conversation.deleted':
        // Sent only to agents who may see the conversation (the server's realtime.may_see).
        ctx.removeConversation(data.id)
        clearTyping(data.id)
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
        for (const id of Object.keys(users)) ctx.setPresence(id, users[id])
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
      onResumed: () => ctx.loadAgents(),
      onRevoked,
    })
  }

  function disconnect() {
    Object.values(typingTimers).forEach(clearTimeout)
    if (socket) socket.close()
    socket = null
  }

  return { onEvent, applyEvent, connect, disconnect }
}
