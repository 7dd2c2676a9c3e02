import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { articlePath, articlesPath, chooseLocale, createHelpCenter, debounce, MAX_QUERY, normalizeQuery, portalOf, portalPath, viewsPath } from '../src/widget/helpCenter.js'
import { articleHtml, safeHref } from '../src/widget/articleHtml.js'
import { createWidgetStore } from '../src/widget/store.js'
import App from '../src/widget/App.vue'

const PORTAL = { slug: 'acme-help', name: 'Acme Help', color: '#0b7a75', default_locale: 'en', allowed_locales: ['en', 'fr', 'pt_BR'] }
const portal = (over = {}) => portalOf({ portal: { ...PORTAL, ...over } })

// A fake server for fetch: "METHOD /path" -> (query, url) => [status, json]; the rest 404.
// Answers can be held back (`hold`) to deliver them out of order.
function fakeServer(routes) {
  const calls = []
  const held = []
  let holding = false
  const fetchImpl = vi.fn((url, init) => {
    const u = new URL(url, 'http://parley.test')
    const query = Object.fromEntries(u.searchParams)
    calls.push({ method: init.method, path: u.pathname, query, headers: init.headers })
    const route = routes[init.method + ' ' + u.pathname]
    const [status, json] = route ? route(query, u) : [404, { error: 'Not found' }]
    const respond = () => new Response(JSON.stringify(json), { status })
    if (!holding) return Promise.resolve(respond())
    return new Promise((resolve) => held.push(() => resolve(respond())))
  })
  return {
    calls,
    fetchImpl,
    hold: () => (holding = true),
    release: (i) => held[i](),
  }
}

const article = (slug, title, extra = {}) => ({ id: slug.length, slug, title, description: title + ' in short', link: 'http://parley.test/hc/acme-help/articles/' + slug, category: null, views: 3, ...extra })

function hcRoutes(over = {}) {
  return {
    'GET /hc/acme-help/en/articles.json': (q) =>
      q.query
        ? [200, { payload: [article('1-reset-password', 'Reset your password')], meta: { count: 1, query: q.query } }]
        : [200, { payload: [article('1-reset-password', 'Reset your password'), article('2-billing', 'Billing')], meta: { count: 2, query: '' } }],
    'GET /hc/acme-help/fr/articles.json': () => [200, { payload: [article('3-facturation', 'Facturation')], meta: { count: 1, query: '' } }],
    ...over,
  }
}

describe('portalOf', () => {
  it('is null without a portal or with a slug that is not one', () => {
    expect(portalOf({})).toBe(null)
    expect(portalOf(null)).toBe(null)
    expect(portalOf({ portal: null })).toBe(null)
    expect(portalOf({ portal: { slug: '' } })).toBe(null)
    expect(portalOf({ portal: { slug: '../api' } })).toBe(null)
    expect(portalOf({ portal: { slug: 42 } })).toBe(null)
  })

  it('keeps well-formed locales and falls back to the first one, then en', () => {
    const p = portalOf({ portal: { slug: 'a', allowed_locales: ['de', 'x y', 7, 'fr_CA'], default_locale: '<b>' } })
    expect(p.allowed_locales).toEqual(['de', 'fr_CA'])
    expect(p.default_locale).toBe('de')
    expect(portalOf({ portal: { slug: 'a' } }).default_locale).toBe('en')
  })
})

describe('chooseLocale', () => {
  const p = portal()
  it('takes the widget locale when the portal allows it, spelled as the portal spells it', () => {
    expect(chooseLocale('fr', p)).toBe('fr')
    expect(chooseLocale('pt-BR', p)).toBe('pt_BR')
    expect(chooseLocale('PT_br', p)).toBe('pt_BR')
  })
  it('takes the same language when the exact locale is not there', () => {
    expect(chooseLocale('fr_CA', p)).toBe('fr') // the base language
    expect(chooseLocale('pt', p)).toBe('pt_BR') // the portal's one variant of it
    expect(chooseLocale('pt_PT', p)).toBe('pt_BR')
  })
  it("prefers the portal's default among several variants of the language", () => {
    const q = portal({ allowed_locales: ['en_US', 'en_GB'], default_locale: 'en_GB' })
    expect(chooseLocale('en', q)).toBe('en_GB')
    expect(chooseLocale('en_us', q)).toBe('en_US')
  })
  it("falls back to the portal's default", () => {
    expect(chooseLocale('de', p)).toBe('en')
    expect(chooseLocale('', p)).toBe('en')
    expect(chooseLocale(undefined, portal({ default_locale: 'fr' }))).toBe('fr')
    expect(chooseLocale('de', portal({ allowed_locales: [] , default_locale: 'fr' }))).toBe('fr')
  })
})

describe('query and URLs', () => {
  it('normalizes what was typed: trimmed, spaces collapsed, capped at the server limit', () => {
    expect(normalizeQuery('  reset \n  my   password ')).toBe('reset my password')
    expect(normalizeQuery('   ')).toBe('')
    expect(normalizeQuery(null)).toBe('')
    expect(normalizeQuery('x'.repeat(10000))).toHaveLength(MAX_QUERY)
  })

  it('builds the public JSON paths with every segment encoded', () => {
    expect(articlesPath('acme-help', 'pt_BR')).toBe('/hc/acme-help/pt_BR/articles.json?limit=6')
    expect(articlesPath('acme-help', 'en', { query: 'how do I & pay?', limit: 6 })).toBe('/hc/acme-help/en/articles.json?query=how+do+I+%26+pay%3F&limit=6')
    expect(articlePath('acme-help', '17-a/../b?c')).toBe('/hc/acme-help/articles/17-a%2F..%2Fb%3Fc.json')
    expect(viewsPath('acme-help', '17-billing')).toBe('/hc/acme-help/articles/17-billing/views')
    expect(portalPath('acme-help', 'pt_BR')).toBe('/hc/acme-help/pt_BR')
  })
})

describe('debounce', () => {
  afterEach(() => vi.useRealTimers())
  it('runs once, with the last arguments, after the pause; cancel drops it', () => {
    vi.useFakeTimers()
    const fn = vi.fn()
    const d = debounce(fn, 250)
    d('a')
    vi.advanceTimersByTime(200)
    d('ab')
    vi.advanceTimersByTime(249)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(fn).toHaveBeenCalledWith('ab')
    d('abc')
    d.cancel()
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
  })
})

describe('createHelpCenter', () => {
  afterEach(() => vi.useRealTimers())

  it('loads the popular articles in the chosen locale, with no visitor token', async () => {
    const server = fakeServer(hcRoutes())
    const hc = createHelpCenter({ portal: portal(), locale: () => 'fr-FR', fetchImpl: server.fetchImpl })
    await hc.load()
    expect(hc.state.locale).toBe('fr')
    expect(server.calls[0].path).toBe('/hc/acme-help/fr/articles.json')
    expect(server.calls[0].query).toEqual({ limit: '6' })
    expect(server.calls[0].headers['X-Auth-Token']).toBeUndefined()
    expect(server.calls[0].query.website_token).toBeUndefined()
    expect(hc.state.popular.map((a) => a.slug)).toEqual(['3-facturation'])
  })

  it('searches once the visitor pauses, with the normalized query', async () => {
    vi.useFakeTimers()
    const server = fakeServer(hcRoutes())
    const hc = createHelpCenter({ portal: portal(), locale: () => 'en', fetchImpl: server.fetchImpl })
    await hc.load()
    for (const typed of ['r', 're', 'res', ' reset  pass ']) hc.search(typed)
    expect(server.calls).toHaveLength(1) // only the popular list so far
    await vi.advanceTimersByTimeAsync(250)
    expect(server.calls).toHaveLength(2)
    expect(server.calls[1].query).toEqual({ query: 'reset pass', limit: '6' })
    expect(hc.state.query).toBe('reset pass')
    expect(hc.state.results.map((a) => a.title)).toEqual(['Reset your password'])
    expect(hc.state.popular).toHaveLength(2) // kept for when the box is cleared

    hc.search('   ')
    expect(hc.state.query).toBe('')
    expect(hc.state.results).toEqual([])
    await vi.advanceTimersByTimeAsync(1000)
    expect(server.calls).toHaveLength(2) // clearing the box asks nothing
  })

  it('shows only the newest answer when an older one arrives late', async () => {
    vi.useFakeTimers()
    const server = fakeServer(
      hcRoutes({ 'GET /hc/acme-help/en/articles.json': (q) => [200, { payload: [article('9-' + q.query, q.query)], meta: {} }] }),
    )
    const hc = createHelpCenter({ portal: portal(), locale: () => 'en', fetchImpl: server.fetchImpl })
    server.hold()
    hc.search('slow')
    await vi.advanceTimersByTimeAsync(250)
    hc.search('fast')
    await vi.advanceTimersByTimeAsync(250)
    server.release(1) // "fast" answers first
    await vi.advanceTimersByTimeAsync(0)
    expect(hc.state.query).toBe('fast')
    server.release(0) // then the stale "slow"
    await vi.advanceTimersByTimeAsync(0)
    expect(hc.state.query).toBe('fast')
    expect(hc.state.results.map((a) => a.title)).toEqual(['fast'])
    expect(hc.state.loading).toBe(false)
  })

  it('says so when the server refuses the query or is unreachable, and drops malformed entries', async () => {
    vi.useFakeTimers()
    const server = fakeServer(
      hcRoutes({
        'GET /hc/acme-help/en/articles.json': (q) =>
          q.query ? [422, { error: 'query too long' }] : [200, { payload: [null, { title: 'no slug' }, article('1-ok', 'OK')] }],
      }),
    )
    const hc = createHelpCenter({ portal: portal(), locale: () => 'en', fetchImpl: server.fetchImpl })
    await hc.load()
    expect(hc.state.popular.map((a) => a.slug)).toEqual(['1-ok'])
    hc.search('anything')
    await vi.advanceTimersByTimeAsync(250)
    expect(hc.state.error).toBe('Try a shorter search.')

    const down = createHelpCenter({ portal: portal(), locale: () => 'en', fetchImpl: () => Promise.reject(new TypeError('offline')) })
    await down.load()
    expect(down.state.error).toBe('Articles could not be loaded.')
  })

  it('reloads in the new locale, re-running the search that is on screen', async () => {
    vi.useFakeTimers()
    const server = fakeServer(hcRoutes({ 'GET /hc/acme-help/fr/articles.json': (q) => [200, { payload: [article('3-fr', q.query || 'populaire')] }] }))
    let locale = 'en'
    const hc = createHelpCenter({ portal: portal(), locale: () => locale, fetchImpl: server.fetchImpl })
    await hc.load()
    hc.search('reset')
    await vi.advanceTimersByTimeAsync(250)
    locale = 'fr'
    await hc.load()
    expect(hc.state.locale).toBe('fr')
    expect(server.calls.slice(-2).map((c) => [c.path, c.query.query])).toEqual([
      ['/hc/acme-help/fr/articles.json', 'reset'],
      ['/hc/acme-help/fr/articles.json', undefined],
    ])
    expect(hc.state.results[0].title).toBe('reset')
    expect(hc.state.popular[0].title).toBe('populaire')
  })
})

describe('articleHtml', () => {
  const BASE = 'https://help.acme.test/hc/acme-help/articles/1-reset'
  // Known XSS vectors: none may leave a script, a handler or a hostile URL behind.
  const PAYLOADS = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<img src="javascript:alert(1)">',
    '<svg onload=alert(1)><circle/></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<details open ontoggle=alert(1)><summary>s</summary></details>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">p</p>',
    '<body onload=alert(1)>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<template><img src=x onerror=alert(1)></template>',
    '<!--<img src=x onerror=alert(1)>-->',
    '<div><span onmouseover="alert(1)" class="x">hover</span></div>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  ]

  it.each(PAYLOADS)('renders %s inert', (payload) => {
    const out = articleHtml('<p>before</p>' + payload + '<p>after</p>', BASE)
    const doc = new DOMParser().parseFromString('<body>' + out, 'text/html')
    const all = [...doc.body.querySelectorAll('*')]
    for (const el of all) {
      expect(['script', 'style', 'iframe', 'object', 'embed', 'svg', 'math', 'form', 'base', 'meta', 'template', 'noscript']).not.toContain(el.localName)
      for (const attr of el.attributes) {
        expect(attr.name.startsWith('on')).toBe(false)
        expect(attr.name).not.toBe('style')
        if (['href', 'src'].includes(attr.name)) expect(attr.value).toMatch(/^(https?:|mailto:|tel:)/)
      }
    }
    expect(out).toContain('<p>before</p>')
    expect(out).toContain('<p>after</p>')
  })

  it('opens links in a new tab without an opener, resolved against the article page', () => {
    const out = articleHtml('<p><a href="/hc/acme-help/articles/2-billing">billing</a> <a href="#steps">steps</a> <a href="mailto:help@acme.test">mail</a></p>', BASE)
    const links = [...new DOMParser().parseFromString(out, 'text/html').querySelectorAll('a')]
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      'https://help.acme.test/hc/acme-help/articles/2-billing',
      'https://help.acme.test/hc/acme-help/articles/1-reset#steps',
      'mailto:help@acme.test',
    ])
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank')
      expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow')
    }
  })

  it('keeps the article: headings, lists, code, tables, images (lazy, no referrer)', () => {
    const html = '<h2>Steps</h2><ol start="2"><li><strong>Open</strong> <code>settings</code></li></ol><pre><code class="language-sh">ls</code></pre><table><tbody><tr><td colspan="2">x</td></tr></tbody></table><p><img src="https://cdn.acme.test/a.png" alt="A"></p>'
    const out = articleHtml(html, BASE)
    expect(out).toContain('<h2>Steps</h2>')
    expect(out).toContain('<ol start="2"><li><strong>Open</strong> <code>settings</code></li></ol>')
    expect(out).toContain('<code class="language-sh">ls</code>')
    expect(out).toContain('<td colspan="2">x</td>')
    expect(out).toMatch(/<img src="https:\/\/cdn\.acme\.test\/a\.png" alt="A" loading="lazy" referrerpolicy="no-referrer">/)
  })

  it('unwraps unknown elements, keeping their text', () => {
    expect(articleHtml('<section><custom-el>text</custom-el></section>', BASE)).toBe('text')
    expect(articleHtml('', BASE)).toBe('')
    expect(articleHtml(null, BASE)).toBe('')
  })

  it('safeHref allows only the listed schemes', () => {
    expect(safeHref('https://a.test/x', BASE)).toBe('https://a.test/x')
    expect(safeHref('//evil.test/x', BASE)).toBe('https://evil.test/x')
    expect(safeHref('javascript:alert(1)', BASE)).toBe('')
    expect(safeHref('tel:+331', BASE)).toBe('tel:+331')
    expect(safeHref('tel:+331', BASE, ['http:', 'https:'])).toBe('')
    expect(safeHref('http://[bad', BASE)).toBe('')
  })
})

describe('the widget home with a help center', () => {
  afterEach(() => vi.useRealTimers())

  function widgetServer(config, extra = {}) {
    return fakeServer({
      'POST /api/v1/widget/config': () => [200, { website_channel_config: { website_name: 'Acme', locale: 'en', ...config }, contact: {}, auth_token: null, global_config: {} }],
      ...hcRoutes(),
      'GET /hc/acme-help/articles/1-reset-password.json': () => [
        200,
        { id: 1, slug: '1-reset-password', title: 'Reset your password', description: 'd', locale: 'en', link: 'http://parley.test/hc/acme-help/articles/1-reset-password', updated_at: 1764800000,
          html: '<p>Open <a href="/hc/acme-help/articles/2-billing">settings</a>.</p><img src=x onerror="window.__pwned=1">' },
      ],
      ...extra,
    })
  }

  // Lazy chunks are modules vitest transforms on first import: wait for them, then for
  // the requests they make.
  async function settle() {
    for (let i = 0; i < 3; i++) {
      await vi.dynamicImportSettled()
      await flushPromises()
    }
  }

  async function mountWidget(server) {
    const store = createWidgetStore({ websiteToken: 'WT', fetchImpl: server.fetchImpl, realtimeFactory: () => ({ close() {} }) })
    const wrapper = mount(App, { props: { store }, attachTo: document.body })
    await store.start()
    await settle() // the help chunk, then its first list
    return wrapper
  }

  it('shows popular articles and search, opens an article inside the widget, and goes to the chat', async () => {
    const sendBeacon = vi.fn(() => true)
    navigator.sendBeacon = sendBeacon
    const server = widgetServer({ portal: PORTAL })
    const w = await mountWidget(server)
    const items = () => w.findAll('[data-testid="widget-help-article"]')
    expect(w.find('[data-testid="widget-help-popular"]').exists()).toBe(true)
    expect(items().map((b) => b.text())).toEqual(['Reset your passwordReset your password in short', 'BillingBilling in short'])
    const all = w.find('[data-testid="widget-help-all"]')
    expect([all.attributes('href'), all.attributes('target'), all.attributes('rel')]).toEqual(['/hc/acme-help/en', '_blank', 'noopener noreferrer'])

    // Real timers: Vue ignores a click older than its listener, and a faked clock ahead of
    // the real one would make the next click look so.
    await w.find('[data-testid="widget-help-search"]').setValue('reset')
    await vi.waitFor(() => expect(w.find('[data-testid="widget-help-results"]').exists()).toBe(true), { timeout: 2000 })
    expect(server.calls.some((c) => c.path === '/hc/acme-help/en/articles.json' && c.query.query === 'reset')).toBe(true)

    await items()[0].trigger('click')
    expect(w.find('[data-testid="widget-message-input"]').exists()).toBe(false) // the article replaces the chat
    await settle()
    const view = w.find('[data-testid="widget-article"]')
    expect(view.exists()).toBe(true)
    expect(view.attributes('data-state')).toBe('loaded')
    expect(w.find('[data-testid="widget-article-title"]').text()).toBe('Reset your password')
    const content = w.find('[data-testid="widget-article-content"]')
    expect(content.html()).not.toContain('onerror')
    expect(content.find('a').attributes('href')).toBe('http://parley.test/hc/acme-help/articles/2-billing')
    expect(content.find('a').attributes('target')).toBe('_blank')
    expect(w.find('[data-testid="widget-article-full"]').attributes('href')).toBe('http://parley.test/hc/acme-help/articles/1-reset-password')
    expect(w.find('[data-testid="widget-article-full"]').attributes('rel')).toContain('noopener')
    expect(sendBeacon).toHaveBeenCalledWith('/hc/acme-help/articles/1-reset-password/views')

    await w.find('[data-testid="widget-article-back"]').trigger('click')
    expect(w.find('[data-testid="widget-help-results"]').exists()).toBe(true) // the search is still there

    await items()[0].trigger('click')
    await flushPromises()
    await w.find('[data-testid="widget-article-chat"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="widget-article"]').exists()).toBe(false)
    expect(w.find('[data-testid="widget-message-input"]').exists()).toBe(true)
    expect(document.activeElement).toBe(w.find('[data-testid="widget-message-input"]').element)
    w.unmount()
    delete navigator.sendBeacon
  })

  it('asks nothing of the help center when the inbox has no portal', async () => {
    const server = widgetServer({ portal: null })
    const w = await mountWidget(server)
    expect(w.find('[data-testid="widget-help-center"]').exists()).toBe(false)
    expect(server.calls.filter((c) => c.path.startsWith('/hc/'))).toEqual([])
    w.unmount()
  })

  it('follows the widget locale ($chatwoot.setLocale) within what the portal allows', async () => {
    const server = widgetServer({ portal: PORTAL })
    const w = await mountWidget(server)
    expect(w.find('[data-testid="widget-help-center"]').attributes('data-locale')).toBe('en')
    w.vm.$props.store.command('setLocale', ['fr_CA'])
    await settle()
    expect(w.find('[data-testid="widget-help-center"]').attributes('data-locale')).toBe('fr')
    expect(w.findAll('[data-testid="widget-help-article"]').map((b) => b.attributes('data-slug'))).toEqual(['3-facturation'])
    w.unmount()
  })
})
