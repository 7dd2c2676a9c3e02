// The account's custom attribute definitions, read once per account and model and shared
// by the filter builder and the conversation panel; the settings screen forgets them
// after a change so the next reader gets the new list.
import { api as sessionApi } from './session.js'
import { accountEndpoints } from '../shared/endpoints.js'

const cache = new Map()

export function loadDefinitions(accountId, model = 'conversation_attribute', api = sessionApi) {
  const key = accountId + ':' + model
  if (!cache.has(key)) {
    const pending = api
      .get(accountEndpoints(accountId).attributeDefinitions, { attribute_model: model })
      .then((res) => (Array.isArray(res) ? res : (res && res.payload) || []).filter((d) => !d.attribute_model || d.attribute_model === model))
      .catch((err) => {
        cache.delete(key) // try again next time
        if (err.status === 404) return []
        throw err
      })
    cache.set(key, pending)
  }
  return cache.get(key)
}

export function forgetDefinitions() {
  cache.clear()
}
