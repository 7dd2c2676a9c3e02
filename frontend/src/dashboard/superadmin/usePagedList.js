// A super-admin listing (accounts, users): search, then pages walked with the server's
// `meta.next_before` cursor ("Show more" appends the next page). A search may answer fewer
// rows than a page with a cursor still set: the server reads a bounded number of ids per
// request, so "Show more" continues the search.
import { reactive, ref } from 'vue'
import { api } from '../session.js'
import { endpoints } from '../../shared/endpoints.js'
import { useAction } from '../../shared/useAction.js'

export const PER_PAGE = 25

export function usePagedList(name) {
  const state = reactive({ items: [], next: null, loaded: false })
  const query = ref('')
  const { busy, error, run } = useAction()
  let latest = 0 // only the newest request's answer is shown (a search sent while the first page loads wins)

  function load(more = false) {
    const mine = ++latest
    return run(async () => {
      const params = { per_page: PER_PAGE, q: query.value.trim() || undefined, before: more ? state.next : undefined }
      const res = await api.get(endpoints.superAdmin(name), params)
      if (mine !== latest) return
      const rows = (res && res.payload) || []
      state.items = more ? state.items.concat(rows) : rows
      state.next = res && res.meta ? res.meta.next_before : null
      state.loaded = true
    })
  }
  // An item changed or was added: replace it in place, or put it first.
  function put(item) {
    const found = state.items.some((i) => i.id === item.id)
    state.items = found ? state.items.map((i) => (i.id === item.id ? { ...i, ...item } : i)) : [item, ...state.items]
  }
  function drop(id) {
    state.items = state.items.filter((i) => i.id !== id)
  }
  load()
  return { state, query, busy, error, load, put, drop }
}
