// Settings screens talk to plain REST collections (Chatwoot's shapes): a list answered as
// an array or as {"payload": [...]}, items created with POST, changed with PATCH and
// deleted with DELETE on <path>/<id>. An endpoint this server does not have yet answers
// 404: the screen says so instead of failing.
import { reactive } from 'vue'
import { accountEndpoints, join } from '../../shared/endpoints.js'

// accountPath(1) -> /api/v1/accounts/1; accountPath(1, 'teams', 5, 'team_members') -> .../teams/5/team_members
export const accountPath = (accountId, name, id, action) => accountEndpoints(accountId).resource(name, id, action)
export const listOf = (res) => (Array.isArray(res) ? res : res && Array.isArray(res.payload) ? res.payload : [])
export const itemOf = (res) => (res && res.payload && typeof res.payload === 'object' && !Array.isArray(res.payload) ? res.payload : res)
export const isMissing = (err) => !!err && (err.status === 404 || err.status === 405 || err.status === 501)
// "Webhooks are" -> the sentence a screen shows for an endpoint this server lacks.
export const notYet = (subject) => subject + ' not available on this server yet.'
// An error's message, or notYet(subject) when the endpoint is missing and nothing was listed.
export const explainMissing = (state, subject) => (err) => (isMissing(err) && !state.items.length ? notYet(subject) : err.message)

export function createCollection({ api, path, sort = null }) {
  const state = reactive({ items: [], loading: false, loaded: false, error: '', unavailable: false })

  function order() {
    if (sort) state.items.sort(sort)
  }

  async function load(params) {
    state.loading = true
    state.error = ''
    try {
      state.items = listOf(await api.get(path, params))
      state.unavailable = false
      order()
    } catch (err) {
      if (isMissing(err)) state.unavailable = true
      else state.error = err.message
    } finally {
      state.loading = false
      state.loaded = true
    }
  }

  async function create(body) {
    const item = itemOf(await api.post(path, body))
    if (item && item.id != null) {
      state.items = state.items.filter((i) => i.id !== item.id).concat(item)
      order()
    }
    return item
  }

  async function update(id, body) {
    const item = itemOf(await api.patch(join([path, id]), body))
    const next = item && item.id != null ? item : { ...state.items.find((i) => i.id === id), ...body }
    state.items = state.items.map((i) => (i.id === id ? next : i))
    order()
    return next
  }

  async function remove(id) {
    await api.del(join([path, id]))
    state.items = state.items.filter((i) => i.id !== id)
  }

  return { state, load, create, update, remove }
}

export const byName = (key = 'name') => (a, b) => String(a[key] || '').localeCompare(String(b[key] || '')) || a.id - b.id

