// The help center screens' pure parts: the forms' values <-> the API's bodies (Chatwoot's
// portal, category and article shapes), the article list's query, the reorder payload.
// No I/O here (helpCenter/api.js talks to the server).

// The locales a portal may offer (Chatwoot's codes: ISO 639-1, a region after "_").
export const LOCALES = [
  ['en', 'English'], ['ar', 'Arabic'], ['ca', 'Catalan'], ['zh_CN', 'Chinese (simplified)'], ['zh_TW', 'Chinese (traditional)'],
  ['cs', 'Czech'], ['da', 'Danish'], ['nl', 'Dutch'], ['fi', 'Finnish'], ['fr', 'French'], ['de', 'German'], ['el', 'Greek'],
  ['he', 'Hebrew'], ['hi', 'Hindi'], ['hu', 'Hungarian'], ['id', 'Indonesian'], ['it', 'Italian'], ['ja', 'Japanese'],
  ['ko', 'Korean'], ['no', 'Norwegian'], ['pl', 'Polish'], ['pt', 'Portuguese'], ['pt_BR', 'Portuguese (Brazil)'],
  ['ro', 'Romanian'], ['ru', 'Russian'], ['es', 'Spanish'], ['sv', 'Swedish'], ['th', 'Thai'], ['tr', 'Turkish'],
  ['uk', 'Ukrainian'], ['vi', 'Vietnamese'],
]
export const localeName = (code) => (LOCALES.find(([c]) => c === code) || [code, code])[1]

export const STATUSES = [['draft', 'Draft'], ['published', 'Published'], ['archived', 'Archived']]
// Chatwoot answers a status as the string; older answers (and its enum) use 0, 1, 2.
export const statusOf = (status) => (typeof status === 'number' ? (STATUSES[status] || STATUSES[0])[0] : status || 'draft')

// A portal's allowed locales as codes: Chatwoot renders them as {code, articles_count,
// categories_count} objects and accepts them as plain codes.
export const localeCodes = (portal) =>
  ((portal && portal.config && portal.config.allowed_locales) || []).map((l) => (typeof l === 'string' ? l : l && l.code)).filter(Boolean)
export const defaultLocale = (portal) => (portal && portal.config && portal.config.default_locale) || localeCodes(portal)[0] || 'en'

// "Getting started!" -> "getting-started"
export const slugify = (text) =>
  String(text || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 64).replace(/^-+|-+$/g, '')

// The server's rules: a portal's slug is at most 64 characters, a category's 128.
const PORTAL_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$/
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/
const COLOR = /^#[0-9a-f]{6}$/i
const isWebUrl = (text) => {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol)
  } catch {
    return false
  }
}

export const blankPortal = () => ({
  name: '', slug: '', custom_domain: '', color: '#1f93ff', homepage_link: '', page_title: '', header_text: '',
  allowed_locales: ['en'], default_locale: 'en', translations: {}, inbox_id: '', member_ids: [],
})

export function portalForm(portal) {
  const translations = {}
  for (const [code, t] of Object.entries(portal.translations || {})) {
    translations[code] = { page_title: (t && t.page_title) || '', header_text: (t && t.header_text) || '' }
  }
  const inbox = portal.inbox_id != null ? portal.inbox_id : portal.inbox && portal.inbox.id
  return {
    name: portal.name || '', slug: portal.slug || '', custom_domain: portal.custom_domain || '', color: portal.color || '#1f93ff',
    homepage_link: portal.homepage_link || '', page_title: portal.page_title || '', header_text: portal.header_text || '',
    allowed_locales: localeCodes(portal).length ? localeCodes(portal) : ['en'], default_locale: defaultLocale(portal),
    translations, inbox_id: inbox != null ? String(inbox) : '',
    member_ids: (portal.member_ids || (portal.members || []).map((m) => m.id) || []).slice(),
  }
}

// The portal form -> the body of POST /portals or PATCH /portals/{slug}, or {error}.
// Translations are kept for the allowed locales other than the default one (the default
// locale's title and header are page_title and header_text), and only when filled in.
export function portalBody(v) {
  const name = v.name.trim()
  const slug = v.slug.trim().toLowerCase()
  const domain = v.custom_domain.trim().toLowerCase().replace(/\.$/, '')
  const link = v.homepage_link.trim()
  if (!name) return { error: 'Give the portal a name.' }
  if (!PORTAL_SLUG.test(slug)) return { error: 'The slug is up to 64 lowercase letters, digits and dashes, not starting or ending with a dash (e.g. acme-help).' }
  if (domain && !DOMAIN.test(domain)) return { error: 'The custom domain is a host name such as help.example.com.' }
  if (!COLOR.test(v.color)) return { error: 'The colour is a hex code such as #1f93ff.' }
  if (link && !isWebUrl(link)) return { error: 'The homepage link is an http(s) address.' }
  if (!v.allowed_locales.length) return { error: 'Allow at least one locale.' }
  if (!v.allowed_locales.includes(v.default_locale)) return { error: 'The default locale must be one of the allowed locales.' }
  const translations = {}
  for (const code of v.allowed_locales) {
    const t = v.translations[code]
    if (code === v.default_locale || !t) continue
    const entry = { page_title: (t.page_title || '').trim(), header_text: (t.header_text || '').trim() }
    if (entry.page_title || entry.header_text) translations[code] = entry
  }
  return {
    body: {
      name, slug, custom_domain: domain || null, color: v.color.toLowerCase(), homepage_link: link || null,
      page_title: v.page_title.trim(), header_text: v.header_text.trim(), translations,
      config: { allowed_locales: v.allowed_locales.slice(), default_locale: v.default_locale },
      inbox_id: v.inbox_id === '' || v.inbox_id == null ? null : Number(v.inbox_id),
      member_ids: v.member_ids.slice().sort((a, b) => a - b),
    },
  }
}

export const blankCategory = (locale = 'en') => ({ name: '', slug: '', description: '', icon: '', locale, parent_category_id: '', associated_category_id: '' })
export const categoryForm = (c) => ({
  name: c.name || '', slug: c.slug || '', description: c.description || '', icon: c.icon || '', locale: c.locale || 'en',
  parent_category_id: c.parent_category_id != null ? String(c.parent_category_id) : '',
  associated_category_id: c.associated_category_id != null ? String(c.associated_category_id) : '',
})
const idOrNull = (v) => (v === '' || v == null ? null : Number(v))
export function categoryBody(v) {
  const name = v.name.trim()
  const slug = (v.slug.trim() || slugify(name)).toLowerCase()
  if (!name) return { error: 'Give the category a name.' }
  if (!SLUG.test(slug)) return { error: 'The slug is lowercase letters, digits and dashes, not starting or ending with a dash.' }
  return {
    body: {
      name, slug, description: v.description.trim(), icon: v.icon.trim(), locale: v.locale,
      parent_category_id: idOrNull(v.parent_category_id), associated_category_id: idOrNull(v.associated_category_id),
    },
  }
}

// Items in their new order -> the reorder body's positions_hash {id: position} (Chatwoot's
// POST …/reorder). The items keep the positions they had between them, dealt out again in
// the new order, so a reordered page or category stays where it was among the others
// (10, 50, 70 stay 10, 50, 70); items without distinct positions get 1, 2, 3… Only the
// positions that change are sent (the server takes at most 45 at once).
export function positionsHash(items) {
  let slots = items.map((item) => item.position).filter((p) => Number.isInteger(p)).sort((a, b) => a - b)
  if (slots.length !== items.length || slots.some((p, i) => i > 0 && p === slots[i - 1])) slots = items.map((_, i) => i + 1)
  const hash = {}
  items.forEach((item, i) => {
    if (item.position !== slots[i]) hash[String(item.id)] = slots[i]
  })
  return hash
}

// `list` with the item at `from` moved to `to` (a new array; out-of-range moves change nothing).
export function moveItem(list, from, to) {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return list.slice()
  const next = list.slice()
  const [item] = next.splice(from, 1)
  next.splice(to, 0, item)
  return next
}

export const byPosition = (a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || a.id - b.id

// The article list's filters -> GET …/articles query: empty ones are left out, the text
// search is `query` (trimmed), page 1 is the default.
export const blankFilters = () => ({ query: '', author_id: '', status: '', locale: '', category_slug: '', page: 1 })
export function articleQuery(f) {
  const params = {}
  const query = (f.query || '').trim()
  if (query) params.query = query
  for (const key of ['author_id', 'status', 'locale', 'category_slug']) {
    if (f[key] !== '' && f[key] != null) params[key] = String(f[key])
  }
  if (f.page && Number(f.page) > 1) params.page = Number(f.page)
  return params
}

// The list's counts from its meta (Chatwoot's names), for the status tabs.
export const articleCounts = (meta = {}) => ({
  all: meta.all_articles_count ?? meta.articles_count ?? 0,
  mine: meta.mine_articles_count ?? 0,
  draft: meta.draft_articles_count ?? 0,
  published: meta.published_count ?? meta.published_articles_count ?? 0,
  archived: meta.archived_articles_count ?? 0,
})

// Chatwoot pages its article list by 25.
export const PAGE_SIZE = 25

export const MAX_CONTENT_BYTES = 200000
const bytes = (text) => new TextEncoder().encode(text).length

export const blankArticle = (locale = 'en') => ({
  title: '', description: '', content: '', status: 'draft', category_id: '', locale, slug: '',
  meta_title: '', meta_description: '', meta_tags: '', associated_article_id: null,
})
export function articleForm(a) {
  const meta = a.meta || {}
  const category = a.category_id != null ? a.category_id : a.category && a.category.id
  return {
    title: a.title || '', description: a.description || '', content: a.content || '', status: statusOf(a.status),
    category_id: category != null ? String(category) : '', locale: a.locale || 'en', slug: a.slug || '',
    meta_title: meta.title || '', meta_description: meta.description || '', meta_tags: (meta.tags || []).join(', '),
    associated_article_id: a.associated_article_id ?? null,
  }
}
// "billing, refunds,, billing" -> ["billing", "refunds"]
export const tagsOf = (text) => [...new Set(String(text || '').split(',').map((t) => t.trim()).filter(Boolean))]

export function articleBody(v) {
  const title = v.title.trim()
  if (!title) return { error: 'Give the article a title.' }
  if (bytes(v.content) > MAX_CONTENT_BYTES) return { error: 'The article is too long (at most 200,000 bytes).' }
  const body = {
    title, description: v.description.trim(), content: v.content, status: v.status, locale: v.locale,
    category_id: idOrNull(v.category_id),
    meta: { title: v.meta_title.trim(), description: v.meta_description.trim(), tags: tagsOf(v.meta_tags) },
  }
  if (v.slug && v.slug.trim()) body.slug = v.slug.trim()
  if (v.associated_article_id != null) body.associated_article_id = v.associated_article_id
  return { body }
}

// The article every translation points at: an article is a translation of its
// associated_article_id, else the root of its own group.
export const rootOf = (article) => (article ? article.associated_article_id ?? article.id : null)

// Among `articles`, the one of `locale` in the group of `article` (itself included).
export function translationIn(articles, article, locale) {
  const root = rootOf(article)
  return articles.find((a) => a.locale === locale && (a.id === root || rootOf(a) === root)) || null
}

// A new translation of `article` in `locale`: the same text to translate from, a draft,
// linked to the group's root.
export const translationBody = (article, locale) => ({
  title: article.title, description: article.description || '', content: article.content || '', status: 'draft',
  locale, associated_article_id: rootOf(article), meta: { title: '', description: '', tags: [] },
})
