import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { accountEndpoints } from '../src/shared/endpoints.js'
import {
  articleBody, articleCounts, articleForm, articleQuery, blankArticle, blankFilters, blankPortal, categoryBody, localeCodes,
  moveItem, portalBody, portalForm, positionsHash, rootOf, slugify, statusOf, tagsOf, translationBody, translationIn,
} from '../src/dashboard/helpCenter/model.js'
import { uploadLogo } from '../src/dashboard/helpCenter/api.js'
import { canManage, canWrite, isPortalMember } from '../src/dashboard/helpCenter/access.js'
import { portals } from '../src/dashboard/helpCenter/portals.js'
import AppShell from '../src/dashboard/components/AppShell.vue'
import { stopInbox } from '../src/dashboard/current.js'
import Articles from '../src/dashboard/helpCenter/Articles.vue'
import ArticleEditor from '../src/dashboard/helpCenter/ArticleEditor.vue'
import Categories from '../src/dashboard/helpCenter/Categories.vue'
import PortalSettings from '../src/dashboard/helpCenter/PortalSettings.vue'
import Portals from '../src/dashboard/helpCenter/Portals.vue'

const P = '/api/v1/accounts/1/portals'
const acme = {
  id: 4, name: 'Acme Help', slug: 'acme', color: '#1f93ff', custom_domain: null, homepage_link: null, page_title: 'Acme', header_text: 'How can we help?',
  archived: false, config: { allowed_locales: [{ code: 'en', articles_count: 2 }, { code: 'fr', articles_count: 0 }], default_locale: 'en' },
  translations: { fr: { page_title: 'Aide Acme', header_text: '' } }, logo: null, dark_logo: null, inbox: { id: 3 }, member_ids: [5],
}
const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })

function resetPortals() {
  Object.assign(portals, { accountId: null, items: [], loading: false, loaded: false, error: '' })
}

describe('help center model', () => {
  it('positionsHash numbers the items 1, 2, 3 in their new order, keyed by id, sending only the changed ones', () => {
    const items = [{ id: 7 }, { id: 3 }, { id: 12 }] // no positions yet: every one is sent
    expect(positionsHash(items)).toEqual({ 7: 1, 3: 2, 12: 3 })
    const placed = [{ id: 7, position: 1 }, { id: 3, position: 2 }, { id: 12, position: 3 }, { id: 5, position: 4 }]
    expect(positionsHash(placed)).toEqual({})
    expect(positionsHash(moveItem(placed, 2, 0))).toEqual({ 12: 1, 7: 2, 3: 3 }) // 5 keeps 4
    expect(positionsHash(moveItem(placed, 0, 1))).toEqual({ 3: 1, 7: 2 })
    // Items keep the positions they had between them (a page or a category of a longer list
    // stays in its place among the others), dealt out in the new order.
    const spread = [{ id: 1, position: 10 }, { id: 2, position: 50 }, { id: 3, position: 70 }]
    expect(positionsHash(spread)).toEqual({})
    expect(positionsHash(moveItem(spread, 2, 0))).toEqual({ 3: 10, 1: 50, 2: 70 })
    // Without distinct positions: 1, 2, 3…
    expect(positionsHash([{ id: 1, position: 0 }, { id: 2, position: 0 }])).toEqual({ 1: 1, 2: 2 })
    expect(positionsHash([{ id: 1, position: 5 }, { id: 2 }])).toEqual({ 1: 1, 2: 2 })
    expect(positionsHash([])).toEqual({})
  })

  it('moveItem moves one item and leaves the list alone for moves out of range', () => {
    const list = ['a', 'b', 'c', 'd']
    expect(moveItem(list, 0, 2)).toEqual(['b', 'c', 'a', 'd'])
    expect(moveItem(list, 3, 1)).toEqual(['a', 'd', 'b', 'c'])
    expect(moveItem(list, 0, -1)).toEqual(list)
    expect(moveItem(list, 1, 4)).toEqual(list)
    expect(list).toEqual(['a', 'b', 'c', 'd']) // never in place
  })

  it('articleQuery keeps only the filters that are set, the search trimmed as `query`', () => {
    expect(articleQuery(blankFilters())).toEqual({})
    expect(articleQuery({ ...blankFilters(), query: '  refund policy ', status: 'draft', author_id: 5, locale: 'fr', category_slug: 'billing', page: 3 }))
      .toEqual({ query: 'refund policy', status: 'draft', author_id: '5', locale: 'fr', category_slug: 'billing', page: 3 })
    // A filter read back from the address (strings) gives the same query.
    expect(articleQuery({ ...blankFilters(), page: '1', query: '   ' })).toEqual({})
    expect(articleQuery({ ...blankFilters(), page: '2' })).toEqual({ page: 2 })
  })

  it('articleCounts reads Chatwoot’s meta names', () => {
    expect(articleCounts({ all_articles_count: 9, mine_articles_count: 2, draft_articles_count: 3, published_count: 5, archived_articles_count: 1 }))
      .toEqual({ all: 9, mine: 2, draft: 3, published: 5, archived: 1 })
    expect(articleCounts({})).toEqual({ all: 0, mine: 0, draft: 0, published: 0, archived: 0 })
  })

  it('portalBody validates the form and builds Chatwoot’s body with the translations of the other locales', () => {
    const v = { ...portalForm(acme), custom_domain: 'Help.Acme.Test.', homepage_link: 'https://acme.test' }
    v.translations.fr.header_text = ' Comment vous aider ? '
    v.translations.de = { page_title: 'Hilfe', header_text: '' } // de is not allowed: left out
    expect(portalBody(v).body).toEqual({
      name: 'Acme Help', slug: 'acme', custom_domain: 'help.acme.test', color: '#1f93ff', homepage_link: 'https://acme.test',
      page_title: 'Acme', header_text: 'How can we help?', translations: { fr: { page_title: 'Aide Acme', header_text: 'Comment vous aider ?' } },
      config: { allowed_locales: ['en', 'fr'], default_locale: 'en' }, inbox_id: 3, member_ids: [5],
    })
    const bad = (change) => portalBody({ ...blankPortal(), name: 'Acme', slug: 'acme', ...change }).error
    expect(bad({})).toBeUndefined()
    expect(bad({ name: ' ' })).toMatch(/name/)
    expect(bad({ slug: 'Acme Help' })).toMatch(/slug/)
    expect(bad({ slug: '-acme' })).toMatch(/slug/)
    expect(bad({ slug: 'a'.repeat(65) })).toMatch(/slug/)
    expect(bad({ slug: 'a'.repeat(64) })).toBeUndefined()
    expect(bad({ custom_domain: 'not a domain' })).toMatch(/domain/)
    expect(bad({ color: 'red' })).toMatch(/colour/)
    expect(bad({ homepage_link: 'javascript:alert(1)' })).toMatch(/homepage/)
    expect(bad({ allowed_locales: [] })).toMatch(/locale/)
    expect(bad({ allowed_locales: ['fr'], default_locale: 'en' })).toMatch(/default locale/)
    expect(portalBody({ ...blankPortal(), name: 'A', slug: 'a' }).body).toMatchObject({ custom_domain: null, homepage_link: null, inbox_id: null, translations: {} })
  })

  it('reads locales whether the server lists codes or {code} objects', () => {
    expect(localeCodes(acme)).toEqual(['en', 'fr'])
    expect(localeCodes({ config: { allowed_locales: ['de'] } })).toEqual(['de'])
    expect(localeCodes(null)).toEqual([])
  })

  it('slugify, categoryBody and statusOf', () => {
    expect(slugify('Getting started: Café & billing!')).toBe('getting-started-cafe-billing')
    expect(categoryBody({ name: 'Billing & plans', slug: '', description: ' x ', icon: '💳', locale: 'fr', parent_category_id: '2', associated_category_id: '' }).body)
      .toEqual({ name: 'Billing & plans', slug: 'billing-plans', description: 'x', icon: '💳', locale: 'fr', parent_category_id: 2, associated_category_id: null })
    expect(categoryBody({ name: 'x', slug: 'No Spaces', description: '', icon: '', locale: 'en', parent_category_id: '', associated_category_id: '' }).error).toMatch(/slug/)
    expect([0, 1, 2, 'published', undefined].map(statusOf)).toEqual(['draft', 'published', 'archived', 'published', 'draft'])
  })

  it('articleBody: SEO tags, the 200,000 byte cap, the category id', () => {
    const v = { ...blankArticle('fr'), title: ' Refunds ', content: '# Hi', category_id: '8', meta_tags: 'billing, refunds,, billing', meta_title: ' T ' }
    expect(articleBody(v).body).toEqual({
      title: 'Refunds', description: '', content: '# Hi', status: 'draft', locale: 'fr', category_id: 8,
      meta: { title: 'T', description: '', tags: ['billing', 'refunds'] },
    })
    expect(articleBody({ ...v, title: '' }).error).toMatch(/title/)
    expect(articleBody({ ...v, content: 'é'.repeat(100001) }).error).toMatch(/200,000/) // 200,002 bytes
    expect(articleBody({ ...v, content: 'e'.repeat(200000) }).body).toBeTruthy()
    expect(tagsOf('')).toEqual([])
    const form = articleForm({ id: 1, title: 'x', status: 1, category: { id: 3 }, meta: { tags: ['a', 'b'] }, associated_article_id: 9, locale: 'en' })
    expect(form).toMatchObject({ status: 'published', category_id: '3', meta_tags: 'a, b', associated_article_id: 9 })
    expect(articleBody(form).body.associated_article_id).toBe(9)
  })

  it('translations: the group root and the article of a locale in the group', () => {
    const en = { id: 1, locale: 'en', associated_article_id: null }
    const fr = { id: 2, locale: 'fr', associated_article_id: 1 }
    const de = { id: 3, locale: 'de', associated_article_id: 1 }
    const other = { id: 4, locale: 'fr', associated_article_id: null }
    expect([en, fr, de].map(rootOf)).toEqual([1, 1, 1])
    expect(translationIn([other, en, fr, de], en, 'fr')).toBe(fr)
    expect(translationIn([other, en, fr, de], fr, 'de')).toBe(de)
    expect(translationIn([other, en, fr, de], de, 'en')).toBe(en)
    expect(translationIn([other], en, 'fr')).toBeNull()
    expect(translationBody({ ...fr, title: 'Bonjour', content: 'x' }, 'de')).toMatchObject({ title: 'Bonjour', content: 'x', locale: 'de', status: 'draft', associated_article_id: 1 })
  })

  it('endpoints: portals by (encoded) slug', () => {
    const e = accountEndpoints(1)
    expect(e.portals()).toBe(P)
    expect(e.portals('acme', 'categories', 'reorder')).toBe(P + '/acme/categories/reorder')
    expect(e.portals('a/b', 'articles', 7)).toBe(P + '/a%2Fb/articles/7')
  })
})

describe('help center screens', () => {
  afterEach(() => {
    clearSession()
    resetPortals()
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('the nav entry and the route are for every member of the account (they read it)', async () => {
    const fetchImpl = vi.fn(async () => new Response('[]'))
    for (const person of [user('agent'), roleAgent(['conversation_manage']), roleAgent(['knowledge_base_manage']), user('administrator')]) {
      setUser(person, false)
      const router = await routerAt('/app/accounts/1/help-center/portals/acme/articles/12', fetchImpl)
      expect(router.currentRoute.value.name).toBe('hc-article')
      const w = mount(AppShell, { global: { plugins: [router] } })
      expect(w.get('[data-testid="nav-help-center"]').attributes('href')).toBe('/app/accounts/1/help-center')
      w.unmount()
      stopInbox() // the shell started the account's live inbox
    }
    // Not a member of that account: home, as for every account route.
    setUser(user('agent'), false)
    const router = await routerAt('/app/accounts/9/help-center', fetchImpl)
    expect(router.currentRoute.value.name).toBe('conversations')
  })

  it('creates a portal with a slug made from its name, and shows the server’s 409', async () => {
    let list = []
    const { w, calls, router } = await mountAt(Portals, '/app/accounts/1/help-center', {
      'GET /api/v1/accounts/1/portals': () => [200, { payload: list, meta: {} }],
      'POST /api/v1/accounts/1/portals': (b) => (b.slug === 'taken' ? [409, { error: 'slug has already been taken' }] : [200, (list = [{ id: 9, ...b }])[0]]),
    }, user('administrator'))
    // The list is loaded by the section's layout; load it here as it would.
    await (await import('../src/dashboard/helpCenter/portals.js')).loadPortals(1)
    await flushPromises()
    expect(w.find('[data-testid="hc-portals-empty"]').exists()).toBe(true)
    await w.get('[data-testid="hc-portal-name"]').setValue('Taken')
    await w.get('[data-testid="hc-portal-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="hc-portal-error"]').text()).toBe('slug has already been taken')
    await w.get('[data-testid="hc-portal-name"]').setValue('Acme Help Center')
    await w.get('[data-testid="hc-portal-locale"]').setValue('fr')
    await w.get('[data-testid="hc-portal-form"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).body).toMatchObject({ name: 'Acme Help Center', slug: 'acme-help-center', config: { allowed_locales: ['fr'], default_locale: 'fr' } })
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/help-center/portals/acme-help-center/settings')
    expect(portals.items.map((p) => p.slug)).toEqual(['acme-help-center'])
  })

  it('portal settings: translated title and header, locales, inbox, members, archive', async () => {
    let current = acme
    const { w, calls } = await mountAt(PortalSettings, '/app/accounts/1/help-center/portals/acme/settings', {
      [`GET ${P}/acme`]: () => [200, current],
      [`PATCH ${P}/acme`]: (b) => [200, (current = { ...current, ...b })],
      [`PATCH ${P}/acme/archive`]: () => [200, (current = { ...current, archived: true })],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [{ id: 3, name: 'Website', channel_type: 'Channel::WebWidget' }, { id: 6, name: 'Mail', channel_type: 'Channel::Email' }] }],
      'GET /api/v1/accounts/1/agents': () => [200, [{ id: 5, name: 'Aaron', role: 'agent' }, { id: 6, name: 'Bea', role: 'agent' }]],
    }, user('administrator'))
    expect(w.get('[data-testid="hc-portal-page-title-fr"]').element.value).toBe('Aide Acme')
    expect(w.findAll('[data-testid="hc-portal-inbox"] option').map((o) => o.text())).toEqual(['None', 'Website']) // website inboxes only
    await w.get('[data-testid="hc-locale-de"]').setValue(true)
    await w.get('[data-testid="hc-portal-header-de"]').setValue('Wie können wir helfen?')
    await w.get('[data-testid="hc-portal-default-locale"]').setValue('fr')
    await w.get('[data-testid="hc-portal-header"]').setValue('Comment vous aider ?')
    await w.findAll('[data-testid="hc-portal-member"]')[1].setValue(true)
    await w.get('[data-testid="hc-portal-settings-form"]').trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')
    expect(patch.body).toMatchObject({
      header_text: 'Comment vous aider ?', config: { allowed_locales: ['en', 'fr', 'de'], default_locale: 'fr' },
      // fr is now the default (page_title/header_text): its translation is not sent; en and de are.
      translations: { de: { page_title: '', header_text: 'Wie können wir helfen?' } }, inbox_id: 3, member_ids: [5, 6],
    })
    expect(w.get('[data-testid="hc-portal-saved"]').text()).toBe('Saved')
    await w.get('[data-testid="hc-portal-archive"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', path: P + '/acme/archive' })
    expect(w.find('[data-testid="hc-portal-archived"]').exists()).toBe(true)
    expect(w.get('[data-testid="hc-portal-archive"]').text()).toBe('Unarchive')
    await w.get('[data-testid="hc-portal-archive"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', path: P + '/acme', body: { archived: false } })
    expect(w.find('[data-testid="hc-portal-archived"]').exists()).toBe(false)
  })

  it('portal settings: a slug change follows in the address; delete asks first, then goes back to the portals', async () => {
    let current = acme
    portals.items = [acme]
    const { w, calls, router } = await mountAt(PortalSettings, '/app/accounts/1/help-center/portals/acme/settings', {
      [`GET ${P}/acme`]: () => [200, current],
      [`PATCH ${P}/acme`]: (b) => [200, (current = { ...current, ...b })],
      [`DELETE ${P}/acme-docs`]: () => [200, {}],
      [`PATCH ${P}/acme-docs`]: () => [409, { error: 'custom_domain has already been taken' }],
    }, user('administrator'))
    await w.get('[data-testid="hc-portal-edit-slug"]').setValue('acme-docs')
    await w.get('[data-testid="hc-portal-settings-form"]').trigger('submit')
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/help-center/portals/acme-docs/settings')
    expect(portals.items.map((p) => p.slug)).toEqual(['acme-docs'])
    await w.get('[data-testid="hc-portal-domain"]').setValue('help.acme.test')
    await w.get('[data-testid="hc-portal-settings-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="hc-portal-settings-error"]').text()).toBe('custom_domain has already been taken')
    await w.get('[data-testid="hc-portal-delete"]').trigger('click')
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await w.get('[data-testid="hc-portal-delete-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'DELETE', path: P + '/acme-docs' })
    expect(router.currentRoute.value.name).toBe('help-center')
    expect(portals.items).toEqual([])
  })

  it('uploads a logo as multipart `logo`, the dark one with ?dark=true', async () => {
    setUser(user('administrator'), false)
    const seen = []
    globalThis.fetch = vi.fn(async (url, init) => {
      seen.push({ url, init })
      return new Response(JSON.stringify({ ...acme, dark_logo: { file_url: '/files/dark.png' } }))
    })
    const file = new File(['png'], 'dark.png', { type: 'image/png' })
    const portal = await uploadLogo(1, 'acme', file, { dark: true })
    expect(seen[0].url).toBe(P + '/acme/logo?dark=true')
    expect(seen[0].init.method).toBe('POST')
    expect(seen[0].init.body).toBeInstanceOf(FormData)
    expect(seen[0].init.body.get('logo').name).toBe('dark.png')
    expect(seen[0].init.headers['Content-Type']).toBeUndefined() // the browser sets the multipart boundary
    expect(seen[0].init.headers.api_access_token).toBe('t')
    expect(portal.dark_logo.file_url).toBe('/files/dark.png')
  })

  it('categories: add in the shown locale, move one down -> reorder with positions_hash', async () => {
    portals.items = [acme]
    Object.assign(portals, { accountId: 1, loaded: true })
    const cats = [{ id: 11, name: 'Billing', slug: 'billing', locale: 'en', position: 2 }, { id: 10, name: 'Start', slug: 'start', locale: 'en', position: 1 }]
    const { w, calls } = await mountAt(Categories, '/app/accounts/1/help-center/portals/acme/categories', {
      [`GET ${P}/acme/categories`]: (b, q) => [200, { payload: q.locale ? cats.filter((c) => c.locale === q.locale) : cats, meta: {} }],
      [`POST ${P}/acme/categories`]: (b) => [200, { payload: { id: 12, position: 3, ...b } }],
      [`POST ${P}/acme/categories/reorder`]: () => [200, {}],
    }, user('administrator'))
    expect(calls.find((c) => c.path === P + '/acme/categories').query).toEqual({ locale: 'en' })
    expect(w.findAll('[data-testid="hc-category-row-name"]').map((r) => r.text())).toEqual(['Start', 'Billing']) // by position
    await w.get('[data-testid="hc-category-name"]').setValue('Getting Started')
    await w.get('[data-testid="hc-category-form"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).body).toMatchObject({ name: 'Getting Started', slug: 'getting-started', locale: 'en', parent_category_id: null })
    await w.get('[data-testid="hc-category-down-10"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: P + '/acme/categories/reorder', body: { positions_hash: { 11: 1, 10: 2 } } }) // 12 stays 3
    expect(w.findAll('[data-testid="hc-category-row-name"]').map((r) => r.text())).toEqual(['Billing', 'Start', 'Getting Started'])
  })

  it('a failed reorder puts the rows back and says why', async () => {
    portals.items = [acme]
    Object.assign(portals, { accountId: 1, loaded: true })
    const cats = [{ id: 10, name: 'Start', slug: 'start', locale: 'en', position: 1 }, { id: 11, name: 'Billing', slug: 'billing', locale: 'en', position: 2 }]
    const { w } = await mountAt(Categories, '/app/accounts/1/help-center/portals/acme/categories', {
      [`GET ${P}/acme/categories`]: () => [200, { payload: cats }],
      [`POST ${P}/acme/categories/reorder`]: () => [403, { error: 'You are not allowed to do that.' }],
    }, user('administrator'))
    const rows = w.findAll('[data-testid="hc-category-row"]')
    await rows[1].trigger('dragstart')
    await rows[0].trigger('drop')
    await flushPromises()
    expect(w.text()).toContain('You are not allowed to do that.')
    expect(w.findAll('[data-testid="hc-category-row-name"]').map((r) => r.text())).toEqual(['Start', 'Billing'])
  })

  it('the article list: search box -> query, filters, counts from meta', async () => {
    vi.useFakeTimers()
    portals.items = [acme]
    Object.assign(portals, { accountId: 1, loaded: true })
    const { w, calls, router } = await mountAt(Articles, '/app/accounts/1/help-center/portals/acme/articles?status=draft', {
      [`GET ${P}/acme/articles`]: (b, q) => [200, {
        payload: [{ id: 1, title: q.query ? 'Refunds' : 'Welcome', status: 'draft', locale: 'en', views: 4, category: { name: 'Billing' } }],
        meta: { all_articles_count: 40, draft_articles_count: 30, published_count: 9, archived_articles_count: 1, mine_articles_count: 2 },
      }],
      [`GET ${P}/acme/categories`]: () => [200, { payload: [{ id: 11, name: 'Billing', slug: 'billing', locale: 'en' }] }],
      'GET /api/v1/accounts/1/agents': () => [200, [{ id: 5, name: 'Aaron' }]],
    }, user('administrator'))
    const articleCalls = () => calls.filter((c) => c.path === P + '/acme/articles')
    expect(articleCalls()[0].query).toEqual({ status: 'draft' }) // from the address
    expect(w.get('[data-testid="hc-count-all"]').text()).toBe('40')
    expect(w.get('[data-testid="hc-count-draft"]').text()).toBe('30')
    expect(w.get('[data-testid="hc-page-next"]').exists()).toBe(true) // 30 drafts: two pages
    await w.get('[data-testid="hc-article-search"]').setValue('refund')
    await w.get('[data-testid="hc-article-search"]').setValue('refund policy')
    vi.advanceTimersByTime(300)
    await flushPromises()
    expect(articleCalls()).toHaveLength(2) // one request after the pause, not one a keystroke
    expect(articleCalls()[1].query).toEqual({ status: 'draft', query: 'refund policy' })
    expect(router.currentRoute.value.query).toEqual({ status: 'draft', query: 'refund policy' })
    await w.get('[data-testid="hc-filter-author"]').setValue('5')
    await w.get('[data-testid="hc-filter-category"]').setValue('billing')
    await flushPromises()
    expect(articleCalls().at(-1).query).toEqual({ status: 'draft', query: 'refund policy', author_id: '5', category_slug: 'billing' })
    expect(w.get('[data-testid="hc-article-link"]').text()).toBe('Refunds')
  })

  it('in one category (no text search) articles are reordered, keeping their positions among the others', async () => {
    portals.items = [acme]
    Object.assign(portals, { accountId: 1, loaded: true })
    const items = [{ id: 1, title: 'A', status: 'published', locale: 'en', position: 10 }, { id: 2, title: 'B', status: 'published', locale: 'en', position: 40 }, { id: 3, title: 'C', status: 'draft', locale: 'en', position: 90 }]
    let refuse = false
    const { w, calls } = await mountAt(Articles, '/app/accounts/1/help-center/portals/acme/articles', {
      [`GET ${P}/acme/articles`]: () => [200, { payload: items, meta: { all_articles_count: 3, articles_count: 3 } }],
      [`GET ${P}/acme/categories`]: () => [200, { payload: [{ id: 11, name: 'Billing', slug: 'billing', locale: 'en' }] }],
      [`POST ${P}/acme/articles/reorder`]: () => (refuse ? [404, { error: 'Article not found' }] : [200, { payload: [] }]),
    }, user('administrator'))
    expect(w.find('[data-testid="hc-article-up-2"]').exists()).toBe(false) // the whole portal: no order to change
    expect(w.get('[data-testid="hc-article-row"]').attributes('draggable')).toBe('false')
    await w.get('[data-testid="hc-filter-category"]').setValue('billing')
    await flushPromises()
    await w.get('[data-testid="hc-article-up-3"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: P + '/acme/articles/reorder', body: { positions_hash: { 3: 40, 2: 90 } } })
    expect(w.findAll('[data-testid="hc-article-link"]').map((l) => l.text())).toEqual(['A', 'C', 'B'])
    // Dragged: C onto A's row.
    refuse = true
    const rows = w.findAll('[data-testid="hc-article-row"]')
    await rows[1].trigger('dragstart')
    await rows[0].trigger('drop')
    await flushPromises()
    expect(calls.at(-1).body).toEqual({ positions_hash: { 3: 10, 1: 40 } })
    expect(w.get('[data-testid="hc-article-reorder-error"]').text()).toBe('Article not found')
    expect(w.findAll('[data-testid="hc-article-link"]').map((l) => l.text())).toEqual(['A', 'C', 'B']) // put back
    // A text search ranks by relevance: no reordering then.
    await w.get('[data-testid="hc-article-search"]').setValue('refund')
    expect(w.find('[data-testid="hc-article-up-3"]').exists()).toBe(false)
    w.unmount() // its search's pause must not end inside the next test's server
  })

  it('the editor previews only the server’s sanitised HTML, saves status, category and SEO fields', async () => {
    vi.useFakeTimers()
    portals.items = [acme]
    Object.assign(portals, { accountId: 1, loaded: true })
    const article = { id: 12, title: 'Refunds', content: '', status: 'draft', locale: 'en', associated_article_id: null, meta: {} }
    const previews = []
    const { w, calls } = await mountAt(ArticleEditor, '/app/accounts/1/help-center/portals/acme/articles/12', {
      [`GET ${P}/acme/articles/12`]: () => [200, { payload: article }],
      [`PATCH ${P}/acme/articles/12`]: (b) => [200, { payload: { ...article, ...b } }],
      [`GET ${P}/acme/categories`]: () => [200, { payload: [{ id: 11, name: 'Billing', slug: 'billing', locale: 'en' }] }],
      // A sanitiser's answer: the script and the handler are gone, the text is escaped.
      'POST /hc/preview': (b) => (previews.push(b.content), [200, { html: '<p>&lt;img src=x onerror=alert(1)&gt;</p><p><a rel="noopener nofollow">x</a></p>' }]),
    }, user('administrator'))
    const xss = '<img src=x onerror=alert(1)><script>alert(2)</script>[x](javascript:alert(3))'
    await w.get('[data-testid="hc-article-content"]').setValue(xss)
    vi.advanceTimersByTime(350)
    await flushPromises()
    expect(previews).toEqual([xss])
    const preview = w.get('[data-testid="hc-article-preview"]')
    expect(preview.element.innerHTML).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p><p><a rel="noopener nofollow">x</a></p>')
    expect(preview.find('img').exists()).toBe(false)
    expect(preview.find('script').exists()).toBe(false)
    await w.get('[data-testid="hc-article-category"]').setValue('11')
    await w.get('[data-testid="hc-article-meta-tags"]').setValue('refunds, money')
    await w.get('[data-testid="hc-article-meta-description"]').setValue('How refunds work')
    await w.get('[data-testid="hc-article-publish"]').trigger('click')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')
    expect(patch.body).toMatchObject({ title: 'Refunds', content: xss, status: 'published', category_id: 11, meta: { title: '', description: 'How refunds work', tags: ['refunds', 'money'] } })
    expect(w.get('[data-testid="hc-article-saved"]').text()).toBe('Saved')
    expect(w.find('[data-testid="hc-article-publish"]').exists()).toBe(false) // it is published now
  })

  it('a translation opens side by side, or is created linked by associated_article_id', async () => {
    portals.items = [acme]
    Object.assign(portals, { accountId: 1, loaded: true })
    const article = { id: 12, title: 'Refunds', description: 'Money back', content: '# Refunds', status: 'published', locale: 'en', associated_article_id: null, meta: {} }
    const { w, calls } = await mountAt(ArticleEditor, '/app/accounts/1/help-center/portals/acme/articles/12', {
      [`GET ${P}/acme/articles/12`]: () => [200, { payload: article }],
      [`GET ${P}/acme/articles/30`]: () => [200, { payload: { id: 30, title: 'Remboursements', locale: 'fr', associated_article_id: 12, status: 'draft', content: '' } }],
      [`GET ${P}/acme/articles`]: () => [200, { payload: [{ id: 29, title: 'Other', locale: 'fr', associated_article_id: null }], meta: {} }],
      [`POST ${P}/acme/articles`]: (b) => [200, { payload: { id: 30, ...b } }],
      [`GET ${P}/acme/categories`]: () => [200, { payload: [] }],
      'POST /hc/preview': () => [200, { html: '<h1>Refunds</h1>' }],
    }, user('administrator'))
    expect(w.findAll('[data-testid="hc-translation-locale"] option').map((o) => o.attributes('value'))).toEqual(['', 'fr'])
    await w.get('[data-testid="hc-translation-locale"]').setValue('fr')
    await flushPromises()
    expect(calls.find((c) => c.path === P + '/acme/articles' && c.method === 'GET').query).toEqual({ locale: 'fr' })
    expect(w.find('[data-testid="hc-translation-missing"]').exists()).toBe(true) // article 29 is another group's
    await w.get('[data-testid="hc-translation-create"]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST' && c.path === P + '/acme/articles').body)
      .toMatchObject({ title: 'Refunds', content: '# Refunds', locale: 'fr', status: 'draft', associated_article_id: 12 })
    expect(w.get('[data-testid="hc-translation-article-title"]').element.value).toBe('Refunds')
    expect(w.get('[data-testid="hc-translation-article-locale"]').element.disabled).toBe(true)
    // Both editors side by side.
    expect(w.findAll('textarea')).toHaveLength(2)
  })
})

describe('the logo field', () => {
  it('previews a chosen image, refuses other files, uploads and removes through its parent', async () => {
    const LogoField = (await import('../src/dashboard/helpCenter/LogoField.vue')).default
    globalThis.URL.createObjectURL = vi.fn(() => 'blob:preview')
    globalThis.URL.revokeObjectURL = vi.fn()
    const upload = vi.fn(async () => {})
    const remove = vi.fn(async () => {})
    const w = mount(LogoField, { props: { label: 'Logo', url: '', testid: 'hc-logo', upload, remove } })
    expect(w.find('[data-testid="hc-logo-image"]').exists()).toBe(false)
    const input = w.get('[data-testid="hc-logo-file"]')
    const choose = async (file) => {
      Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
      await input.trigger('change')
    }
    await choose(new File(['%PDF'], 'doc.pdf', { type: 'application/pdf' }))
    expect(w.text()).toMatch(/Choose an image/)
    expect(w.get('[data-testid="hc-logo-upload"]').attributes('disabled')).toBeDefined()
    const png = new File(['png'], 'logo.png', { type: 'image/png' })
    await choose(png)
    expect(w.get('[data-testid="hc-logo-image"]').attributes('src')).toBe('blob:preview')
    await w.get('[data-testid="hc-logo-upload"]').trigger('click')
    await flushPromises()
    expect(upload).toHaveBeenCalledWith(png)
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:preview')
    expect(w.find('[data-testid="hc-logo-image"]').exists()).toBe(false) // the parent's new url comes next
    await w.setProps({ url: 'https://files.test/logo.png' })
    expect(w.get('[data-testid="hc-logo-image"]').attributes('src')).toBe('https://files.test/logo.png')
    await w.get('[data-testid="hc-logo-remove"]').trigger('click')
    await flushPromises()
    expect(remove).toHaveBeenCalled()
    await w.setProps({ url: 'javascript:alert(1)' })
    expect(w.find('[data-testid="hc-logo-image"]').exists()).toBe(false) // safeUrl refuses it
  })
})

describe('the help center section frame', () => {
  afterEach(() => {
    clearSession()
    resetPortals()
    stopInbox()
    vi.restoreAllMocks()
  })

  it('lists the portals, the open one with its screens, and says when a slug is unknown', async () => {
    const HelpCenter = (await import('../src/dashboard/views/HelpCenter.vue')).default
    const routes = {
      [`GET ${P}`]: () => [200, { payload: [acme, { ...acme, id: 5, slug: 'old', name: 'Old', archived: true }], meta: {} }],
    }
    let { w } = await mountAt(HelpCenter, '/app/accounts/1/help-center/portals/acme/categories', routes, user('administrator'))
    expect(w.get('[data-testid="hc-nav-portal-old"]').text()).toBe('Old (archived)')
    expect(w.get('[data-testid="hc-nav-categories"]').attributes('aria-current')).toBe('page')
    expect(w.get('[data-testid="hc-nav-settings"]').attributes('href')).toBe('/app/accounts/1/help-center/portals/acme/settings')
    expect(w.find('[data-testid="hc-portal-missing"]').exists()).toBe(false)
    w.unmount()
    ;({ w } = await mountAt(HelpCenter, '/app/accounts/1/help-center/portals/nope/articles', routes, user('administrator')))
    expect(w.get('[data-testid="hc-portal-missing"]').text()).toContain('nope')
    expect(w.find('[data-testid="hc-nav-articles"]').exists()).toBe(false)
    w.unmount()
  })
})

describe('who may write the help center (helpCenter/access.js)', () => {
  // A session as session.js keeps it: the user (with their accounts) and the selected account.
  const as = (person, accountId = 1) => ({ user: person, accountId })
  const agent = user('agent') // id 2
  const member = { ...user('agent'), id: 5 } // in acme's member_ids

  it('canManage: administrators and roles granting knowledge_base_manage, in the selected account', () => {
    expect(canManage(as(user('administrator')))).toBe(true)
    expect(canManage(as(roleAgent(['knowledge_base_manage'])))).toBe(true)
    expect(canManage(as(agent))).toBe(false)
    expect(canManage(as(member))).toBe(false) // a portal's member manages nothing else
    expect(canManage(as(roleAgent(['conversation_manage', 'contact_manage'])))).toBe(false)
    expect(canManage(as(user('administrator'), 9))).toBe(false) // not a member of account 9
    expect(canManage({ user: null, accountId: null })).toBe(false)
  })

  it('canWrite: those who manage, and the portal’s members (by user id, as number or string)', () => {
    expect(canWrite(acme, as(agent))).toBe(false)
    expect(canWrite(acme, as(member))).toBe(true)
    expect(canWrite({ ...acme, member_ids: ['5'] }, as(member))).toBe(true)
    expect(canWrite({ ...acme, member_ids: undefined, members: [{ id: 5 }] }, as(member))).toBe(true)
    expect(canWrite({ ...acme, member_ids: [] }, as(member))).toBe(false)
    expect(canWrite(acme, as(user('administrator')))).toBe(true)
    expect(canWrite({ ...acme, member_ids: [] }, as(roleAgent(['knowledge_base_manage'])))).toBe(true)
    expect(canWrite(null, as(member))).toBe(false) // no portal (yet): nothing to be a member of
    expect(canWrite(null, as(user('administrator')))).toBe(true)
    expect(isPortalMember(acme, { user: null, accountId: 1 })).toBe(false)
  })

  it('follows the signed-in session by default', () => {
    setUser({ ...user('agent'), id: 5 }, false)
    expect([canManage(), canWrite(acme), canWrite({ ...acme, member_ids: [6] })]).toEqual([false, true, false])
    clearSession()
    expect(canWrite(acme)).toBe(false)
  })
})

describe('the help center, read only for a plain agent', () => {
  // Disabled itself or by a disabled fieldset around it (happy-dom's :disabled does not
  // follow fieldsets; the browser test checks the real thing).
  const disabled = (w) => w.element.disabled || !!w.element.closest('fieldset[disabled]')
  const member = { ...user('agent'), id: 5 } // in acme's member_ids
  const cats = [{ id: 10, name: 'Start', slug: 'start', locale: 'en', position: 1 }, { id: 11, name: 'Billing', slug: 'billing', locale: 'en', position: 2 }]
  const article = { id: 12, title: 'Refunds', description: 'Money back', content: '# Refunds', status: 'published', slug: '1700000000-refunds', locale: 'en', category_id: 11, associated_article_id: null, meta: {} }
  const editorRoutes = (calls = []) => ({
    [`GET ${P}/acme/articles/12`]: () => [200, { payload: article }],
    [`PATCH ${P}/acme/articles/12`]: (b) => (calls.push(b), [200, { payload: { ...article, ...b } }]),
    [`GET ${P}/acme/articles`]: () => [200, { payload: [], meta: {} }],
    [`GET ${P}/acme/categories`]: () => [200, { payload: cats }],
    'POST /hc/preview': () => [200, { html: '<h1>Refunds</h1>' }],
  })
  function loaded(list = [acme]) {
    portals.items = list
    Object.assign(portals, { accountId: 1, loaded: true })
  }
  afterEach(() => {
    clearSession()
    resetPortals()
    stopInbox()
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('portals: listed with their articles and categories, no portal form, no settings', async () => {
    loaded()
    const { w } = await mountAt(Portals, '/app/accounts/1/help-center', { [`GET ${P}`]: () => [200, { payload: [acme] }] }, user('agent'))
    expect(w.get('[data-testid="hc-portal-row"]').attributes('data-slug')).toBe('acme')
    expect(w.get('[data-testid="hc-portal-articles-acme"]').attributes('href')).toBe('/app/accounts/1/help-center/portals/acme/articles')
    expect(w.find('[data-testid="hc-portal-categories-acme"]').exists()).toBe(true)
    expect(w.find('[data-testid="hc-portal-settings-acme"]').exists()).toBe(false)
    expect(w.find('[data-testid="hc-portal-form"]').exists()).toBe(false)
    w.unmount()
    // A portal's member: its settings, still no new portal (that needs knowledge_base_manage).
    clearSession()
    const again = await mountAt(Portals, '/app/accounts/1/help-center', { [`GET ${P}`]: () => [200, { payload: [acme] }] }, member)
    expect(again.w.find('[data-testid="hc-portal-settings-acme"]').exists()).toBe(true)
    expect(again.w.find('[data-testid="hc-portal-form"]').exists()).toBe(false)
  })

  it('the section’s navigation offers a portal’s settings only to those who may write it', async () => {
    const HelpCenter = (await import('../src/dashboard/views/HelpCenter.vue')).default
    const routes = { [`GET ${P}`]: () => [200, { payload: [acme], meta: {} }] }
    let { w } = await mountAt(HelpCenter, '/app/accounts/1/help-center/portals/acme/articles', routes, user('agent'))
    expect(w.find('[data-testid="hc-nav-articles"]').exists()).toBe(true)
    expect(w.find('[data-testid="hc-nav-categories"]').exists()).toBe(true)
    expect(w.find('[data-testid="hc-nav-settings"]').exists()).toBe(false)
    w.unmount()
    ;({ w } = await mountAt(HelpCenter, '/app/accounts/1/help-center/portals/acme/articles', routes, member))
    expect(w.find('[data-testid="hc-nav-settings"]').exists()).toBe(true)
    w.unmount()
  })

  it('categories: the list in order, without the add form, edit, delete, arrows or dragging', async () => {
    loaded()
    const { w } = await mountAt(Categories, '/app/accounts/1/help-center/portals/acme/categories', {
      [`GET ${P}/acme/categories`]: () => [200, { payload: cats }],
    }, user('agent'))
    expect(w.findAll('[data-testid="hc-category-row-name"]').map((r) => r.text())).toEqual(['Start', 'Billing'])
    expect(w.find('[data-testid="hc-category-form"]').exists()).toBe(false)
    for (const id of ['hc-category-edit-10', 'hc-category-delete-10', 'hc-category-up-11', 'hc-category-down-10']) {
      expect(w.find(`[data-testid="${id}"]`).exists()).toBe(false)
    }
    expect(w.get('[data-testid="hc-category-row"]').attributes('draggable')).toBe('false')
    expect(w.find('.hc-grip').exists()).toBe(false)
  })

  it('articles: searchable and filtered, no New article, no reordering in a category', async () => {
    loaded()
    const items = [{ id: 1, title: 'A', status: 'published', locale: 'en', position: 10 }, { id: 2, title: 'B', status: 'published', locale: 'en', position: 40 }]
    const { w, calls } = await mountAt(Articles, '/app/accounts/1/help-center/portals/acme/articles?category_slug=billing', {
      [`GET ${P}/acme/articles`]: () => [200, { payload: items, meta: { all_articles_count: 2, articles_count: 2 } }],
      [`GET ${P}/acme/categories`]: () => [200, { payload: cats }],
    }, user('agent'))
    expect(w.findAll('[data-testid="hc-article-link"]').map((l) => l.text())).toEqual(['A', 'B'])
    expect(w.find('[data-testid="hc-article-new"]').exists()).toBe(false)
    expect(w.find('[data-testid="hc-article-up-2"]').exists()).toBe(false)
    expect(w.get('[data-testid="hc-article-row"]').attributes('draggable')).toBe('false')
    await w.get('[data-testid="hc-status-published"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.path === P + '/acme/articles').at(-1).query).toEqual({ status: 'published', category_slug: 'billing' })
    expect(calls.every((c) => c.method === 'GET')).toBe(true)
  })

  it('an article: read with the server’s rendering, no field, save, publish, delete or new translation', async () => {
    vi.useFakeTimers()
    loaded()
    const { w, calls } = await mountAt(ArticleEditor, '/app/accounts/1/help-center/portals/acme/articles/12', editorRoutes(), user('agent'))
    vi.advanceTimersByTime(350)
    await flushPromises()
    expect(w.get('[data-testid="hc-article-read-title"]').text()).toBe('Refunds')
    expect(w.get('[data-testid="hc-article-read-description"]').text()).toBe('Money back')
    expect(w.get('[data-testid="hc-article-read-status"]').text()).toBe('published')
    expect(w.get('[data-testid="hc-article-read"]').text()).toContain('Billing')
    expect(w.get('[data-testid="hc-article-preview"]').element.innerHTML).toBe('<h1>Refunds</h1>')
    expect(w.get('[data-testid="hc-article-view"]').attributes('href')).toBe('/hc/acme/articles/1700000000-refunds')
    expect(w.findAll('input, textarea')).toHaveLength(0)
    for (const id of ['hc-article-form', 'hc-article-save', 'hc-article-publish', 'hc-article-delete', 'hc-article-title', 'hc-article-content']) {
      expect(w.find(`[data-testid="${id}"]`).exists()).toBe(false)
    }
    // A translation can be looked at, not created.
    await w.get('[data-testid="hc-translation-locale"]').setValue('fr')
    await flushPromises()
    expect(w.find('[data-testid="hc-translation-missing"]').exists()).toBe(true)
    expect(w.find('[data-testid="hc-translation-create"]').exists()).toBe(false)
    expect(calls.filter((c) => c.method !== 'GET' && c.path !== '/hc/preview')).toEqual([])
  })

  it('a new article is not offered: the address says who writes the portal', async () => {
    loaded()
    const { w } = await mountAt(ArticleEditor, '/app/accounts/1/help-center/portals/acme/articles/new', editorRoutes(), user('agent'))
    expect(w.find('[data-testid="hc-article-form"]').exists()).toBe(false)
    expect(w.get('[data-testid="hc-article-readonly"]').text()).toContain('members')
  })

  it('a portal’s member edits and saves the article', async () => {
    loaded()
    const saved = []
    const { w } = await mountAt(ArticleEditor, '/app/accounts/1/help-center/portals/acme/articles/12', editorRoutes(saved), member)
    expect(w.find('[data-testid="hc-article-read"]').exists()).toBe(false)
    await w.get('[data-testid="hc-article-title"]').setValue('Refunds and returns')
    await w.get('[data-testid="hc-article-form"]').trigger('submit')
    await flushPromises()
    expect(saved).toHaveLength(1)
    expect(saved[0]).toMatchObject({ title: 'Refunds and returns', status: 'published' })
    expect(w.get('[data-testid="hc-article-saved"]').text()).toBe('Saved')
    expect(w.find('[data-testid="hc-article-delete"]').exists()).toBe(true) // deleting an article is a member's too
  })

  it('portal settings: read only for a plain agent; a member saves them but not its members, and does not delete it', async () => {
    const routes = {
      [`GET ${P}/acme`]: () => [200, acme],
      [`PATCH ${P}/acme`]: (b) => [200, { ...acme, ...b }],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [{ id: 3, name: 'Website', channel_type: 'Channel::WebWidget' }] }],
      'GET /api/v1/accounts/1/agents': () => [200, [{ id: 5, name: 'Aaron', role: 'agent' }, { id: 6, name: 'Bea', role: 'agent' }]],
    }
    let { w, calls } = await mountAt(PortalSettings, '/app/accounts/1/help-center/portals/acme/settings', routes, user('agent'))
    expect(w.find('[data-testid="hc-portal-readonly"]').exists()).toBe(true)
    expect(disabled(w.get('[data-testid="hc-portal-edit-name"]'))).toBe(true)
    expect(w.get('[data-testid="hc-portal-header"]').element.value).toBe('How can we help?')
    for (const id of ['hc-portal-save', 'hc-logo', 'hc-dark-logo', 'hc-portal-archive', 'hc-portal-delete']) {
      expect(w.find(`[data-testid="${id}"]`).exists()).toBe(false)
    }
    await w.get('[data-testid="hc-portal-settings-form"]').trigger('submit') // (Enter in a field): nothing sent
    await flushPromises()
    expect(calls.every((c) => c.method === 'GET')).toBe(true)
    w.unmount()

    clearSession()
    ;({ w, calls } = await mountAt(PortalSettings, '/app/accounts/1/help-center/portals/acme/settings', routes, member))
    expect(w.find('[data-testid="hc-portal-readonly"]').exists()).toBe(false)
    expect(disabled(w.get('[data-testid="hc-portal-edit-name"]'))).toBe(false)
    expect(w.findAll('[data-testid="hc-portal-member"]').every(disabled)).toBe(true)
    expect(w.find('[data-testid="hc-portal-archive"]').exists()).toBe(true)
    expect(w.find('[data-testid="hc-logo-file"]').exists()).toBe(true)
    expect(w.find('[data-testid="hc-portal-delete"]').exists()).toBe(false)
    await w.get('[data-testid="hc-portal-header"]').setValue('Ask us anything')
    await w.get('[data-testid="hc-portal-settings-form"]').trigger('submit')
    await flushPromises()
    // The members go back unchanged (the server refuses a member's change of them).
    expect(calls.find((c) => c.method === 'PATCH').body).toMatchObject({ header_text: 'Ask us anything', member_ids: [5] })
  })
})
