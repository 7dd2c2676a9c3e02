// The conversation list's advanced filter and the agent's saved views (Chatwoot's custom
// filters of type "conversation"). While a filter is applied the list shows its results,
// page by page, from POST /conversations/filter instead of the tabs.
import { computed, reactive, shallowRef } from 'vue'
import { api as sessionApi, session } from './session.js'
import { inbox } from './current.js'
import { accountEndpoints } from '../shared/endpoints.js'

export const PAGE_SIZE = 25

// Chatwoot answers the filter with {meta, payload}; its spec says {data: {meta, payload}}.
export function resultOf(res) {
  const data = res && res.data && typeof res.data === 'object' && !Array.isArray(res.data) ? res.data : res || {}
  return { meta: data.meta || {}, payload: Array.isArray(data.payload) ? data.payload : [] }
}

const listOf = (res) => (Array.isArray(res) ? res : res && Array.isArray(res.payload) ? res.payload : [])

export function createFilterSession({ api, accountId, store = () => null }) {
  const paths = accountEndpoints(accountId)
  const state = reactive({
    query: null, // the applied {payload: [...]}, or null: the list shows the tabs
    view: null, // the id of the saved view applied, if the query is one
    edited: null, // the saved view an unsaved query was edited from (it can be updated)
    ids: [],
    conversations: {}, // the results as loaded (the live store's copy wins when it has one)
    counts: {},
    page: 1,
    morePages: false,
    loading: false,
    error: '',
    views: [],
    viewsLoaded: false,
    viewsError: '',
  })
  let generation = 0 // answers for a filter replaced or cleared meanwhile are dropped

  const list = computed(() => {
    const live = store()
    return state.ids.map((id) => (live && live.state.conversations[id]) || state.conversations[id]).filter(Boolean)
  })

  async function fetchPage(query, page) {
    const res = await api.post(paths.conversationFilter, query, { page })
    return resultOf(res)
  }

  function take(payload) {
    const live = store()
    for (const c of payload) {
      if (!c || c.id == null) continue
      state.conversations[c.id] = c
      if (live) live.upsertConversation(c)
    }
    return payload.filter((c) => c && c.id != null).map((c) => c.id)
  }

  // Runs the query first and changes nothing if the server refuses it (its 422 message is
  // thrown for the builder to show).
  async function apply(query, { view = null, edited = null } = {}) {
    const mine = ++generation
    state.loading = true
    try {
      const { meta, payload } = await fetchPage(query, 1)
      if (mine !== generation) return false
      state.query = query
      state.view = view
      state.edited = view == null ? edited : null
      state.conversations = {}
      state.ids = take(payload)
      state.counts = meta
      state.page = 1
      state.morePages = payload.length >= PAGE_SIZE
      state.error = ''
      return true
    } finally {
      if (mine === generation) state.loading = false
    }
  }

  async function loadMore() {
    if (!state.query || !state.morePages || state.loading) return
    const mine = generation
    state.loading = true
    try {
      const { meta, payload } = await fetchPage(state.query, state.page + 1)
      if (mine !== generation) return
      const seen = new Set(state.ids)
      state.ids = state.ids.concat(take(payload).filter((id) => !seen.has(id)))
      state.counts = meta
      state.page += 1
      state.morePages = payload.length >= PAGE_SIZE
    } catch (err) {
      if (mine === generation) state.error = err.message
    } finally {
      if (mine === generation) state.loading = false
    }
  }

  function clear() {
    generation++
    Object.assign(state, { query: null, view: null, edited: null, ids: [], conversations: {}, counts: {}, page: 1, morePages: false, loading: false, error: '' })
  }

  // ---- saved views -------------------------------------------------------------------------

  async function loadViews({ force = false } = {}) {
    if (state.viewsLoaded && !force) return state.views
    try {
      state.views = listOf(await api.get(paths.customFilters(), { filter_type: 'conversation' }))
      state.viewsError = ''
    } catch (err) {
      state.viewsError = err.status === 404 ? '' : err.message
      state.views = []
    } finally {
      state.viewsLoaded = true
    }
    return state.views
  }

  async function saveView(name) {
    const title = String(name || '').trim()
    if (!title) throw new Error('Give the view a name.')
    if (!state.query) throw new Error('Apply a filter first.')
    const saved = await api.post(paths.customFilters(), { name: title, type: 'conversation', query: state.query })
    if (saved && saved.id != null) {
      state.views = state.views.filter((v) => v.id !== saved.id).concat(saved)
      state.view = saved.id
      state.edited = null
    }
    return saved
  }

  // The edited query replaces the view's own.
  async function updateView(id) {
    if (!state.query) throw new Error('Apply a filter first.')
    const saved = await api.patch(paths.customFilters(id), { query: state.query })
    const next = saved && saved.id != null ? saved : { ...state.views.find((v) => v.id === id), query: state.query }
    state.views = state.views.map((v) => (v.id === id ? next : v))
    state.view = id
    state.edited = null
    return next
  }

  async function deleteView(id) {
    await api.del(paths.customFilters(id))
    state.views = state.views.filter((v) => v.id !== id)
    if (state.view === id) state.view = null // the filter stays applied, just unsaved
    if (state.edited === id) state.edited = null
  }

  async function openView(id) {
    let view = state.views.find((v) => v.id === id)
    if (!view) {
      await loadViews({ force: true })
      view = state.views.find((v) => v.id === id)
    }
    if (!view) throw Object.assign(new Error('This view does not exist any more.'), { status: 404 })
    return apply(view.query, { view: view.id })
  }

  const currentView = computed(() => state.views.find((v) => v.id === state.view) || null)
  const editedView = computed(() => (state.view == null && state.views.find((v) => v.id === state.edited)) || null)

  return { accountId, state, list, currentView, editedView, apply, loadMore, clear, loadViews, saveView, updateView, deleteView, openView }
}

// One filter session per signed-in account, shared by the list and the sidebar.
export const filters = shallowRef(null)
let owner = null

export function useFilters() {
  const accountId = session.accountId
  if (!session.token || accountId == null) return null
  // Keyed on the token too: another person signing in on this tab gets their own views.
  if (filters.value && filters.value.accountId === accountId && owner === session.token) return filters.value
  owner = session.token
  filters.value = createFilterSession({ api: sessionApi, accountId, store: () => inbox.value })
  return filters.value
}
