import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { install } from '../src/sdk/loader.js'
import { decode, encode } from '../src/shared/protocol.js'

const BASE = 'http://127.0.0.1:3000'

// happy-dom doesn't load iframes: stand in for each widget iframe with an element whose
// contentWindow is a fake window we can inspect.
function stubIframes() {
  const frames = []
  const create = document.createElement.bind(document)
  vi.spyOn(document, 'createElement').mockImplementation((tag, opts) => {
    if (String(tag).toLowerCase() !== 'iframe') return create(tag, opts)
    const el = create('x-iframe')
    const win = { postMessage: vi.fn() }
    el.contentWindow = win
    el.src = ''
    frames.push({ el, win })
    return el
  })
  return frames
}

function fromFrame(frame, message, origin = BASE, source = frame.win) {
  window.dispatchEvent(new MessageEvent('message', { data: typeof message === 'string' ? message : encode(message), origin, source }))
}

const sent = (frame) => frame.win.postMessage.mock.calls.map(([data, target]) => ({ ...decode(data), target }))

describe('sdk.js loader', () => {
  let frames, events
  const names = ['chatwoot:ready', 'chatwoot:on-message', 'chatwoot:opened', 'chatwoot:closed', 'chatwoot:error', 'chatwoot:on-start-conversation']
  const record = (e) => events.push({ type: e.type, detail: e.detail })

  beforeEach(() => {
    delete window.chatwootSDK
    delete window.$chatwoot
    delete window.chatwootSettings
    document.body.innerHTML = ''
    frames = stubIframes()
    events = []
    names.forEach((n) => window.addEventListener(n, record))
  })
  afterEach(() => {
    names.forEach((n) => window.removeEventListener(n, record))
    vi.restoreAllMocks()
  })

  it('adds the launcher and a hidden iframe for the website token', () => {
    window.chatwootSettings = { locale: 'fr', darkMode: 'auto', position: 'left' }
    install(window)
    window.chatwootSDK.run({ websiteToken: 'tok en', baseUrl: BASE + '/' })
    const bubble = document.querySelector('[data-testid="widget-launcher"]')
    expect(bubble).not.toBeNull()
    expect(bubble.getAttribute('aria-expanded')).toBe('false')
    expect(frames).toHaveLength(1)
    expect(frames[0].el.src).toBe(BASE + '/widget?website_token=tok%20en&locale=fr&dark_mode=auto')
    expect(document.getElementById('parley-widget').className).toContain('parley-left')
    expect(window.$chatwoot.hasLoaded).toBe(false)
    expect(window.$chatwoot.isOpen).toBe(false)
  })

  it('queues $chatwoot calls until the iframe is ready, then sends them in order', () => {
    install(window)
    window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const [frame] = frames
    window.$chatwoot.setUser('user-1', { name: 'Ada', email: 'ada@example.com' })
    window.$chatwoot.setCustomAttributes({ plan: 'pro' })
    window.$chatwoot.setLabel('vip')
    expect(frame.win.postMessage).not.toHaveBeenCalled()

    fromFrame(frame, { event: 'ready', color: '#ff0066' })
    const out = sent(frame)
    expect(out.map((m) => m.name || m.event)).toEqual(['toggle', 'setUser', 'setCustomAttributes', 'setLabel'])
    expect(out[1].args).toEqual(['user-1', { name: 'Ada', email: 'ada@example.com' }])
    expect(out.every((m) => m.target === BASE)).toBe(true)
    expect(window.$chatwoot.hasLoaded).toBe(true)
    expect(events.filter((e) => e.type === 'chatwoot:ready')).toHaveLength(1)
    expect(document.getElementById('parley-widget').style.getPropertyValue('--parley-color')).toBe('#ff0066')

    // after ready, calls go straight through
    window.$chatwoot.removeLabel('vip')
    expect(sent(frame).at(-1)).toMatchObject({ event: 'command', name: 'removeLabel', args: ['vip'] })
  })

  it('ignores messages from other origins, other windows or in another shape', () => {
    install(window)
    window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const [frame] = frames
    window.$chatwoot.setLabel('x')
    fromFrame(frame, { event: 'ready' }, 'https://evil.example') // wrong origin
    fromFrame(frame, { event: 'ready' }, BASE, window) // right origin, wrong window
    fromFrame(frame, '{"event":"ready"}') // no prefix
    fromFrame(frame, 'parley-widget:{oops') // not JSON
    fromFrame(frame, 'parley-widget:["ready"]') // not an object
    expect(window.$chatwoot.hasLoaded).toBe(false)
    expect(frame.win.postMessage).not.toHaveBeenCalled()
    expect(events).toEqual([])
    fromFrame(frame, { event: 'unread', count: 3 }, 'https://evil.example')
    expect(document.querySelector('[data-testid="widget-unread-badge"]').hidden).toBe(true)
  })

  it('relays widget events to window CustomEvents and shows the unread count', () => {
    install(window)
    window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const [frame] = frames
    fromFrame(frame, { event: 'ready' })
    fromFrame(frame, { event: 'message', message: { id: 9, content: 'hi', message_type: 1 } })
    fromFrame(frame, { event: 'conversation-started', conversation: { id: 4 } })
    fromFrame(frame, { event: 'error', error: { message: 'nope' } })
    fromFrame(frame, { event: 'unread', count: 2 })
    expect(events.map((e) => e.type)).toEqual(['chatwoot:ready', 'chatwoot:on-message', 'chatwoot:on-start-conversation', 'chatwoot:error'])
    expect(events[1].detail).toEqual({ id: 9, content: 'hi', message_type: 1 })
    const badge = document.querySelector('[data-testid="widget-unread-badge"]')
    expect(badge.hidden).toBe(false)
    expect(badge.textContent).toBe('2')
  })

  it('toggles the window from the bubble and the API and tells the iframe', () => {
    install(window)
    window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const [frame] = frames
    const bubble = document.querySelector('[data-testid="widget-launcher"]')
    bubble.click() // before ready: opens, iframe hears about it on ready
    expect(window.$chatwoot.isOpen).toBe(true)
    expect(bubble.getAttribute('aria-expanded')).toBe('true')
    fromFrame(frame, { event: 'ready' })
    expect(sent(frame)[0]).toMatchObject({ event: 'toggle', open: true })
    window.$chatwoot.toggle('close')
    window.$chatwoot.toggle('close')
    window.$chatwoot.toggle()
    expect(events.map((e) => e.type)).toEqual(['chatwoot:opened', 'chatwoot:ready', 'chatwoot:closed', 'chatwoot:opened'])
    fromFrame(frame, { event: 'close' })
    expect(window.$chatwoot.isOpen).toBe(false)

    window.$chatwoot.toggleBubbleVisibility('hide')
    expect(bubble.hidden).toBe(true)
    window.$chatwoot.toggleBubbleVisibility('show')
    expect(bubble.hidden).toBe(false)
  })

  it('reset() closes the widget and asks the iframe to forget the visitor', () => {
    install(window)
    window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const [frame] = frames
    fromFrame(frame, { event: 'ready' })
    window.$chatwoot.toggle('open')
    window.$chatwoot.reset()
    expect(window.$chatwoot.isOpen).toBe(false)
    expect(sent(frame).at(-1)).toMatchObject({ event: 'command', name: 'reset' })
  })

  it("never puts the session in the iframe URL; hands it over only to Parley's iframe", () => {
    window.localStorage.setItem('parley.widget.T.auth', 'VISITOR-TOKEN')
    install(window)
    window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const [frame] = frames
    expect(frame.el.src).toBe(BASE + '/widget?website_token=T')
    fromFrame(frame, { event: 'hello' }, 'https://evil.example') // the frame navigated elsewhere
    fromFrame(frame, { event: 'hello' }, BASE, window) // another window
    expect(frame.win.postMessage).not.toHaveBeenCalled()
    fromFrame(frame, { event: 'hello' })
    expect(sent(frame)).toEqual([{ event: 'session', token: 'VISITOR-TOKEN', target: BASE }])
    // The iframe's new session is kept on this (first-party) page for the next visit.
    fromFrame(frame, { event: 'auth', token: 'NEW-TOKEN' })
    expect(window.localStorage.getItem('parley.widget.T.auth')).toBe('NEW-TOKEN')
    window.localStorage.removeItem('parley.widget.T.auth')
  })

  it('honours hideMessageBubble and expanded_bubble, and runs only once', () => {
    window.chatwootSettings = { hideMessageBubble: true, type: 'expanded_bubble', launcherTitle: 'Talk to us' }
    install(window)
    const first = window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })
    const bubble = document.querySelector('[data-testid="widget-launcher"]')
    expect(bubble.hidden).toBe(true)
    expect(bubble.textContent).toContain('Talk to us')
    expect(window.chatwootSDK.run({ websiteToken: 'T', baseUrl: BASE })).toBe(first)
    expect(frames).toHaveLength(1)
  })

  describe('ongoing campaigns', () => {
    const origin = () => window.location.origin
    beforeEach(() => {
      vi.useFakeTimers()
      window.history.replaceState(null, '', '/pricing/team')
      window.localStorage.removeItem('parley.widget.C.campaigns')
    })
    afterEach(() => {
      vi.useRealTimers()
      window.localStorage.removeItem('parley.widget.C.campaigns')
    })
    function started() {
      install(window)
      window.chatwootSDK.run({ websiteToken: 'C', baseUrl: BASE })
      const [frame] = frames
      fromFrame(frame, { event: 'ready' })
      frame.win.postMessage.mockClear()
      return frame
    }
    const asked = (frame) => sent(frame).filter((m) => m.event === 'campaign').map((m) => m.id)

    it('asks for the first matching campaign after its seconds on the page, and not before', () => {
      const frame = started()
      fromFrame(frame, { event: 'campaigns', campaigns: [
        { id: 1, url: origin() + '/about*', time: 1 },
        { id: 2, url: origin() + '/pricing*', time: 2 },
        { id: 3, url: origin() + '/*', time: 0 },
        { id: 'bad', url: origin() + '/*', time: 0 },
      ] })
      vi.advanceTimersByTime(1900)
      expect(asked(frame)).toEqual([])
      vi.advanceTimersByTime(200)
      expect(asked(frame)).toEqual([2])
      expect(sent(frame).at(-1).target).toBe(BASE)
    })

    it('restarts the clock when the page changes, and watches history and hash changes', () => {
      const frame = started()
      fromFrame(frame, { event: 'campaigns', campaigns: [{ id: 2, url: origin() + '/pricing*', time: 2 }] })
      vi.advanceTimersByTime(1500)
      window.history.pushState(null, '', '/blog') // not a matching page: the timer is dropped
      vi.advanceTimersByTime(5000)
      expect(asked(frame)).toEqual([])
      window.history.pushState(null, '', '/pricing')
      vi.advanceTimersByTime(1500)
      window.history.replaceState(null, '', '/pricing?plan=team') // another matching URL: starts over
      vi.advanceTimersByTime(1500)
      expect(asked(frame)).toEqual([])
      vi.advanceTimersByTime(600)
      expect(asked(frame)).toEqual([2])
    })

    it('previews a shown campaign next to the closed bubble, once per visitor, as text', () => {
      const frame = started()
      fromFrame(frame, { event: 'campaigns', campaigns: [{ id: 2, url: origin() + '/pricing*', time: 0 }] })
      vi.advanceTimersByTime(10)
      fromFrame(frame, { event: 'campaign-shown', id: 2, name: 'Ana', text: '<img src=x onerror=alert(1)> Need help?' })
      const preview = document.querySelector('[data-testid="widget-campaign-preview"]')
      expect(preview.hidden).toBe(false)
      expect(preview.textContent).toContain('<img src=x onerror=alert(1)> Need help?')
      expect(preview.querySelector('img')).toBeNull()
      expect(JSON.parse(window.localStorage.getItem('parley.widget.C.campaigns'))).toEqual([2])
      preview.querySelector('button').click()
      expect(window.$chatwoot.isOpen).toBe(true)
      expect(preview.hidden).toBe(true)
      // The same visitor on another matching page: not asked again.
      frame.win.postMessage.mockClear()
      fromFrame(frame, { event: 'campaigns', campaigns: [{ id: 2, url: origin() + '/pricing*', time: 0 }] })
      window.history.pushState(null, '', '/pricing/again')
      vi.advanceTimersByTime(10)
      expect(asked(frame)).toEqual([])
    })

    it('stops watching when the iframe hands over an empty list (the visitor started a conversation)', () => {
      const frame = started()
      fromFrame(frame, { event: 'campaigns', campaigns: [{ id: 2, url: origin() + '/pricing*', time: 2 }] })
      vi.advanceTimersByTime(1000)
      fromFrame(frame, { event: 'campaigns', campaigns: [] })
      vi.advanceTimersByTime(5000)
      expect(asked(frame)).toEqual([])
    })

    it('ignores campaigns from anyone but its iframe', () => {
      const frame = started()
      fromFrame(frame, { event: 'campaigns', campaigns: [{ id: 2, url: origin() + '/*', time: 0 }] }, 'https://evil.example')
      vi.advanceTimersByTime(10)
      expect(asked(frame)).toEqual([])
    })
  })
})
