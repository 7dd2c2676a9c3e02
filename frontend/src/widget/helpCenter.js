// The help center in the widget's home: the public JSON URLs, and a small reactive model
// for "popular articles" and search-as-you-type. Loaded (help.js, a chunk of its own) only
// when the widget's inbox has a portal; the article view (components/HelpArticle.vue) is
// another chunk, loaded when an article is opened. The portal's endpoints are public and
// cached: they get no visitor token.
import { reactive } from 'vue'
import { createApi } from '../shared/api.js'
import { chooseLocale } from './portal.js'

export const POPULAR_LIMIT = 6
export const SEARCH_DELAY_MS = 250
export const MAX_QUERY = 200 // the server answers 422 above this

// What the visitor typed, as the server gets it: trimmed, spaces collapsed, capped.
export function normalizeQuery(text) {
  return String(text || '').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY).trim()
}

const seg = encodeURIComponent

export function articlesPath(slug, locale, { query = '', limit = POPULAR_LIMIT } = {}) {
  const params = new URLSearchParams()
  if (query) params.set('query', query)
  params.set('limit', String(limit))
  return '/hc/' + seg(slug) + '/' + seg(locale) + '/articles.json?' + params
}

export function articlePath(slug, articleSlug) {
  return '/hc/' + seg(slug) + '/articles/' + seg(articleSlug) + '.json'
}

export function viewsPath(slug, articleSlug) {
  return '/hc/' + seg(slug) + '/articles/' + seg(articleSlug) + '/views'
}

// `fn` once, `wait` ms after the last call; `cancel()` drops a pending call.
export function debounce(fn, wait, timers = globalThis) {
  let timer = null
  const run = (...args) => {
    timers.clearTimeout(timer)
    timer = timers.setTimeout(() => {
      timer = null
      fn(...args)
    }, wait)
  }
  run.cancel = () => {
    timers.clearTimeout(timer)
    timer = null
  }
  return run
}

const listOf = (res) => (res && Array.isArray(res.payload) ? res.payload : []).filter((a) => a && typeof a.slug === 'string' && a.slug)

// The home's help center: popular articles, and the results of what the visitor types.
// Only the newest request's answer is shown (an older, slower one is dropped).
export function createHelpCenter({ portal, locale = () => '', fetchImpl, timers = globalThis, delay = SEARCH_DELAY_MS }) {
  const api = createApi({ fetchImpl })
  const state = reactive({
    locale: chooseLocale(locale(), portal),
    popular: [],
    results: [],
    query: '', // the query the results are for
    typed: '',
    loading: false,
    error: '',
  })
  let seq = 0

  async function fetchList(query) {
    const mine = ++seq
    state.loading = true
    state.error = ''
    try {
      const res = await api.get(articlesPath(portal.slug, state.locale, { query, limit: POPULAR_LIMIT }))
      if (mine !== seq) return
      if (query) {
        state.results = listOf(res)
        state.query = query
      } else {
        state.popular = listOf(res)
        state.results = []
        state.query = ''
      }
    } catch (err) {
      if (mine !== seq) return
      state.error = err.status === 422 ? 'Try a shorter search.' : 'Articles could not be loaded.'
    } finally {
      if (mine === seq) state.loading = false
    }
  }

  const later = debounce((q) => fetchList(q), delay, timers)

  function search(text) {
    state.typed = text
    const q = normalizeQuery(text)
    if (!q) {
      later.cancel()
      seq++ // an answer still on its way is for a query no longer there
      state.results = []
      state.query = ''
      state.loading = false
      state.error = ''
      return
    }
    later(q)
  }

  // Popular articles, in the locale the widget is shown in now.
  function load() {
    state.locale = chooseLocale(locale(), portal)
    later.cancel()
    const q = normalizeQuery(state.typed)
    return fetchList(q).then(() => (q ? fetchPopular() : undefined))
  }

  // After a search re-run in a new locale, the popular list for when it is cleared.
  async function fetchPopular() {
    try {
      const res = await api.get(articlesPath(portal.slug, state.locale, { limit: POPULAR_LIMIT }))
      state.popular = listOf(res)
    } catch (err) {
      /* the search results are on screen; popular ones are shown on the next load */
    }
  }

  return {
    state,
    portal,
    load,
    search,
    stop: later.cancel,
    // For the article view (its own chunk), so that it needs nothing from this one.
    articlePath: (articleSlug) => articlePath(portal.slug, articleSlug),
    viewsPath: (articleSlug) => viewsPath(portal.slug, articleSlug),
  }
}
