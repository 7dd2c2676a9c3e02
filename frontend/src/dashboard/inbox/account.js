// The account's lists the inbox screens use for names and suggestions: inboxes, labels,
// canned responses. Settings screens change them through these actions, never by writing
// the state themselves.
export function createAccountLists(ctx) {
  const { api, paths, state } = ctx

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

  // The labels settings screen changed the list.
  function labelsChanged(labels) {
    state.labels = labels.slice()
  }

  async function loadInboxes() {
    try {
      const res = await api.get(paths.resource('inboxes'))
      for (const i of (res && res.payload) || []) state.inboxes[i.id] = i
    } catch (err) {
      /* optional: the list just shows no inbox names */
    }
  }

  // The inbox settings screen saved (`inbox`) or deleted (`inbox` null) inbox `id`.
  function inboxChanged(id, inbox) {
    if (inbox) state.inboxes[id] = inbox
    else delete state.inboxes[id]
  }

  return { searchCanned, loadLabels, labelsChanged, loadInboxes, inboxChanged }
}
