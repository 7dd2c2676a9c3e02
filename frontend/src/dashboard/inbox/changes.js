// What an agent changes on a conversation: status, assignee, labels, priority, typing;
// an administrator may delete it.
export function createChanges(ctx) {
  const { api, paths, state } = ctx

  async function toggleStatus(id, status) {
    const res = await api.post(paths.conversations(id, 'toggle_status'), { status })
    const current = (res && res.payload && res.payload.current_status) || (res && res.current_status) || status
    ctx.upsertConversation({ id, status: current })
    ctx.scheduleRefresh(300)
  }

  async function assign(id, assigneeId) {
    const res = await api.post(paths.conversations(id, 'assignments'), { assignee_id: assigneeId })
    let assignee = null
    if (assigneeId != null) {
      assignee = (res && res.id != null ? res : null) || state.agents.find((a) => a.id === assigneeId) || { id: assigneeId }
    }
    const c = state.conversations[id]
    if (c) state.conversations[id] = { ...c, meta: { ...(c.meta || {}), assignee } }
    ctx.scheduleRefresh(300)
  }

  // Replaces the conversation's labels (Chatwoot's POST .../labels); the answer is the list.
  async function setLabels(id, labels) {
    const res = await api.post(paths.conversations(id, 'labels'), { labels })
    const saved = res && Array.isArray(res.payload) ? res.payload : labels
    ctx.upsertConversation({ id, labels: saved })
    return saved
  }

  async function setPriority(id, priority) {
    const res = await api.post(paths.conversations(id, 'toggle_priority'), { priority })
    const saved = res && 'priority' in res ? res.priority : priority === 'none' ? null : priority
    ctx.upsertConversation({ id, priority: saved })
    return saved
  }

  // Applies an SLA policy (Chatwoot's PATCH .../conversations/{id} with sla_policy_id); the
  // answer is the conversation, with its applied_sla.
  async function applySla(id, policyId) {
    const res = await api.patch(paths.conversations(id), { sla_policy_id: policyId })
    if (res && res.id != null) ctx.upsertConversation(res)
    return res
  }

  // Chatwoot's DELETE .../conversations/{id} (administrators): 200 with no body; the
  // conversation leaves the list at once (other dashboards learn it by a frame).
  async function deleteConversation(id) {
    await api.del(paths.conversations(id))
    ctx.removeConversation(id)
  }

  function typing(id, on, isPrivate) {
    return api
      .post(paths.conversations(id, 'toggle_typing'), { typing_status: on ? 'on' : 'off', is_private: !!isPrivate })
      .catch(() => {})
  }

  return { toggleStatus, assign, setLabels, setPriority, applySla, deleteConversation, typing }
}
