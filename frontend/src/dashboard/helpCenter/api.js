// The help center screens' talk with the API (Chatwoot's shapes): portals by slug, their
// categories and articles, the logos (multipart) and the Markdown preview.
import { api } from '../session.js'
import { accountEndpoints, endpoints } from '../../shared/endpoints.js'
import { itemOf, listOf } from '../settings/resource.js'
import { articleQuery, positionsHash, rootOf, translationIn } from './model.js'

const at = (accountId) => accountEndpoints(accountId).portals

// Portals: the list is {payload, meta}; create/show/update answer the portal at top level.
export const listPortals = async (accountId) => listOf(await api.get(at(accountId)()))
export const getPortal = async (accountId, slug) => itemOf(await api.get(at(accountId)(slug)))
export const createPortal = async (accountId, body) => itemOf(await api.post(at(accountId)(), body))
export const updatePortal = async (accountId, slug, body) => itemOf(await api.patch(at(accountId)(slug), body))
export const deletePortal = (accountId, slug) => api.del(at(accountId)(slug))
export const archivePortal = async (accountId, slug, archived = true) => itemOf(await api.patch(at(accountId)(slug, 'archive'), { archived }))

// The logo (or, with dark, the dark-mode logo): multipart `logo`.
export async function uploadLogo(accountId, slug, file, { dark = false } = {}) {
  const form = new FormData()
  form.append('logo', file, file.name || 'logo')
  return itemOf(await api.post(at(accountId)(slug, 'logo'), form, dark ? { dark: 'true' } : undefined))
}
// Answers the portal without it.
export const removeLogo = async (accountId, slug, { dark = false } = {}) => itemOf(await api.del(at(accountId)(slug, 'logo'), dark ? { dark: 'true' } : undefined))

// Categories of a portal (of one locale when given): {payload, meta}; a category answers {payload}.
export const listCategories = async (accountId, slug, locale) => listOf(await api.get(at(accountId)(slug, 'categories'), locale ? { locale } : undefined))
export const createCategory = async (accountId, slug, body) => itemOf(await api.post(at(accountId)(slug, 'categories'), body))
export const updateCategory = async (accountId, slug, id, body) => itemOf(await api.patch(at(accountId)(slug, 'categories', id), body))
export const deleteCategory = (accountId, slug, id) => api.del(at(accountId)(slug, 'categories', id))
// Nothing to send when no position changes (the server wants at least one).
const reorder = (accountId, slug, what, ordered) => {
  const hash = positionsHash(ordered)
  return Object.keys(hash).length ? api.post(at(accountId)(slug, what, 'reorder'), { positions_hash: hash }) : Promise.resolve(null)
}
export const reorderCategories = (accountId, slug, ordered) => reorder(accountId, slug, 'categories', ordered)

// Articles: the list answers {payload, meta} for the filters' query.
export async function listArticles(accountId, slug, filters) {
  const res = await api.get(at(accountId)(slug, 'articles'), articleQuery(filters))
  return { items: listOf(res), meta: (res && res.meta) || {} }
}
export const getArticle = async (accountId, slug, id) => itemOf(await api.get(at(accountId)(slug, 'articles', id)))
export const createArticle = async (accountId, slug, body) => itemOf(await api.post(at(accountId)(slug, 'articles'), body))
export const updateArticle = async (accountId, slug, id, body) => itemOf(await api.patch(at(accountId)(slug, 'articles', id), body))
export const deleteArticle = (accountId, slug, id) => api.del(at(accountId)(slug, 'articles', id))
export const reorderArticles = (accountId, slug, ordered) => reorder(accountId, slug, 'articles', ordered)

// The translation of `article` in `locale`, or null: from the article's associated_articles
// when the server lists them, else from that locale's article list (pages of it, at most 20).
export async function findTranslation(accountId, slug, article, locale) {
  const listed = article.associated_articles
  if (Array.isArray(listed)) {
    const hit = translationIn(listed, article, locale)
    if (hit) return getArticle(accountId, slug, hit.id)
  }
  const root = rootOf(article)
  for (let page = 1; page <= 20; page++) {
    const { items } = await listArticles(accountId, slug, { locale, page })
    const hit = items.find((a) => a.locale === locale && (a.id === root || rootOf(a) === root))
    if (hit) return getArticle(accountId, slug, hit.id)
    if (items.length < 25) return null
  }
  return null
}

// The server's sanitised HTML for Markdown `content` (the only HTML the editor shows).
export async function previewHtml(content) {
  const res = await api.post(endpoints.helpCenterPreview, { content })
  return res && typeof res.html === 'string' ? res.html : ''
}
