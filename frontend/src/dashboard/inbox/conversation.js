// One open conversation: its messages (newest page, then older ones on scroll), read
// state, and the agent's replies sent through the shared outbox.
import { upsertMessage } from '../../shared/text.js'
import { blobOf, deliver as deliverMessage, outgoing, unsent } from '../../shared/outbox.js'

export function createConversation(ctx) {
  const { api, paths, state, me } = ctx

  async function open(id) {
    state.activeId = id
    if (!state.conversations[id]) {
      try {
        ctx.upsertConversation(await api.get(paths.conversations(id)))
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
    return deliverMessage(state.messages[id], local, post, (saved) => ctx.bump(id, saved))
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

  // A stored reply the channel refused (or whose delivery is unknown): the server sends it
  // again (Chatwoot's retry) and the message.updated frames bring its new status.
  async function resend(id, messageId) {
    const list = state.messages[id] || []
    upsertMessage(list, await api.post(paths.conversations(id, `messages/${messageId}/retry`), {}))
  }

  return { open, loadOlder, markRead, send, presignUpload, retry, resend }
}
