// The help center in the widget's home: which portal and locale, the public JSON URLs, and
// a small reactive model for "popular articles" and search-as-you-type. Loaded (help.js, a
// chunk of its own) only when the widget config names a portal
// (`website_channel_config.portal`, null when the inbox is linked to none); the article view (components/HelpArticle.vue) is
// another chunk, loaded when an article is opened. The portal's endpoints are public and
// cached: they get no visitor token.
import { reactive } from 'vue'
import { createApi } from '../shared/api.js'

export const POPULAR_LIMIT = 6
export const SEARCH_DELAY_MS = 250
export const MAX_QUERY = 200 // the server answers 422 above this

const SLUG_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const LOCALE_RE = /^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/

// The portal the config names, or null when it names none or names it badly.
export function portalOf(config) {
  const p = config && config.portal
  if (!p || typeof p !== 'object' || typeof p.slug !== 'string' || !SLUG_RE.test(p.slug)) return null
  const allowed = (Array.isArray(p.allowed_locales) ? p.allowed_locales : []).filter((l) => typeof l === 'string' && LOCALE_RE.test(l))
  const fallback = typeof p.default_locale === 'string' && LOCALE_RE.test(p.default_locale) ? p.default_locale : ''
  return {
    slug: p.slug,
    name: typeof p.name === 'string' ? p.name : '',
    color: typeof p.color === 'string' ? p.color : '',
    default_locale: fallback || allowed[0] || 'en',
    allowed_locales: allowed,
  }
}

const norm = (l) => String(l || '').toLowerCase().replace(/-/g, '_')
const language = (l) => norm(l).split('_')[0]

// The portal's locale for a widget shown in `widgetLocale`: the same locale (pt-BR = pt_BR),
// else the same language (fr_CA -> fr, or fr -> fr_FR when the portal has one variant of
// it), else the portal's default. Always one of the portal's codes, spelled as it spells it.
export function chooseLocale(widgetLocale, portal) {
  const allowed = portal.allowed_locales.length ? portal.allowed_locales : [portal.default_locale]
  const want = norm(widgetLocale)
  if (want) {
    const same = allowed.find((l) => norm(l) === want)
    if (same) return same
    const lang = language(want)
    const base = allowed.find((l) => norm(l) === lang)
    if (base) return base
    const variants = allowed.filter((l) => language(l) === lang)
    if (variants.length) return variants.includes(portal.default_locale) ? portal.default_locale : variants[0]
  }
  return portal.default_locale
}

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

// The portal's public home in that locale (opened in a new tab: "All articles").
export function portalPath(slug, locale) {
  return '/hc/' + seg(slug) + '/' + seg(locale)
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
