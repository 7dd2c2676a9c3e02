// Dashboard apps' side of the postMessage protocol (Chatwoot's): the context goes to the
// app's own origin only, and only the app's own frame, from its own origin, may ask for it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, user } from './screen.js'
import { clearSession } from '../src/dashboard/session.js'
import DashboardApps from '../src/dashboard/settings/DashboardApps.vue'
import { APP_CONTEXT, FETCH_INFO, SANDBOX, appContext, appOrigin, createAppBridge, frameUrl, isFetchInfo, sendContext } from '../src/dashboard/dashboardApps.js'

const APP = 'https://crm.example.com/parley/app?x=1'
const ORIGIN = 'https://crm.example.com'
const DASHBOARD = 'https://chat.acme.test'

function fakeTarget() {
  const listeners = []
  return {
    addEventListener: (type, fn) => type === 'message' && listeners.push(fn),
    removeEventListener: (type, fn) => listeners.splice(listeners.indexOf(fn), 1),
    deliver: (event) => listeners.slice().forEach((fn) => fn(event)),
    count: () => listeners.length,
  }
}

describe('appOrigin', () => {
  it('is the https URL’s origin, and nothing for anything else', () => {
    expect(appOrigin(APP, DASHBOARD)).toBe(ORIGIN)
    expect(appOrigin('https://crm.example.com:8443/a', DASHBOARD)).toBe('https://crm.example.com:8443')
    for (const bad of ['http://crm.example.com/', 'javascript:alert(1)', 'data:text/html,hi', '', 'not a url', null]) {
      expect(appOrigin(bad, DASHBOARD), String(bad)).toBe(null)
    }
  })
  it('refuses a page of the dashboard’s own origin (its scripts could reach the dashboard)', () => {
    expect(appOrigin(DASHBOARD + '/app/accounts/1/settings', DASHBOARD)).toBe(null)
  })
  it('the sandbox lets the app run as itself but never navigate the dashboard', () => {
    expect(SANDBOX.split(' ')).toEqual(expect.arrayContaining(['allow-scripts', 'allow-same-origin', 'allow-forms']))
    expect(SANDBOX).not.toMatch(/top-navigation/)
  })
})

describe('appContext and sendContext', () => {
  const conversation = { id: 42, status: 'open', meta: { sender: { id: 7, name: 'Carla', email: 'carla@example.com' } } }
  const contact = conversation.meta.sender
  const user = { id: 3, name: 'Aaron', email: 'agent@acme.test', access_token: 'secret-token', accounts: [] }

  it('posts Chatwoot’s appContext event as a JSON string, addressed to the app’s origin only', () => {
    const frameWindow = { postMessage: vi.fn() }
    expect(sendContext(frameWindow, ORIGIN, appContext(conversation, contact, user))).toBe(true)
    expect(frameWindow.postMessage).toHaveBeenCalledTimes(1)
    const [data, target] = frameWindow.postMessage.mock.calls[0]
    expect(target).toBe(ORIGIN)
    expect(target).not.toBe('*')
    const message = JSON.parse(data)
    expect(message.event).toBe(APP_CONTEXT)
    expect(message.data.conversation.id).toBe(42)
    expect(message.data.contact).toEqual(contact)
    // The agent: who, never their token.
    expect(message.data.currentAgent).toEqual({ id: 3, name: 'Aaron', email: 'agent@acme.test' })
    expect(data).not.toContain('secret-token')
  })
  it('sends nothing without an origin or a frame', () => {
    const frameWindow = { postMessage: vi.fn() }
    expect(sendContext(frameWindow, null, {})).toBe(false)
    expect(sendContext(null, ORIGIN, {})).toBe(false)
    expect(frameWindow.postMessage).not.toHaveBeenCalled()
  })
})

describe('the fetch-info request', () => {
  const frameWindow = { postMessage: vi.fn() }
  it('is honoured from the app’s frame on the app’s origin only', () => {
    expect(isFetchInfo({ data: FETCH_INFO, origin: ORIGIN, source: frameWindow }, frameWindow, ORIGIN)).toBe(true)
    expect(isFetchInfo({ data: FETCH_INFO, origin: 'https://evil.example.com', source: frameWindow }, frameWindow, ORIGIN)).toBe(false)
    expect(isFetchInfo({ data: FETCH_INFO, origin: ORIGIN, source: { postMessage() {} } }, frameWindow, ORIGIN)).toBe(false)
    expect(isFetchInfo({ data: FETCH_INFO, origin: 'null', source: frameWindow }, frameWindow, ORIGIN)).toBe(false)
    expect(isFetchInfo({ data: 'something else', origin: ORIGIN, source: frameWindow }, frameWindow, ORIGIN)).toBe(false)
    expect(isFetchInfo({ data: { event: FETCH_INFO }, origin: ORIGIN, source: frameWindow }, frameWindow, ORIGIN)).toBe(false)
  })
})

describe('createAppBridge', () => {
  function setup(url = APP) {
    const frameWindow = { postMessage: vi.fn() }
    const target = fakeTarget()
    let context = { conversation: { id: 1 } }
    const bridge = createAppBridge({ url, frame: () => ({ contentWindow: frameWindow }), context: () => context, target })
    return { bridge, frameWindow, target, setContext: (c) => (context = c) }
  }
  const sent = (frameWindow) => frameWindow.postMessage.mock.calls.map(([data, target]) => ({ ...JSON.parse(data), target }))

  it('sends the context on load and on a change, to the app origin', () => {
    const { bridge, frameWindow, setContext } = setup()
    bridge.loaded()
    setContext({ conversation: { id: 2 } })
    bridge.changed()
    expect(sent(frameWindow)).toEqual([
      { event: APP_CONTEXT, data: { conversation: { id: 1 } }, target: ORIGIN },
      { event: APP_CONTEXT, data: { conversation: { id: 2 } }, target: ORIGIN },
    ])
  })

  it('answers fetch-info from its frame and origin, ignores other origins and other frames, and stops listening', () => {
    const { bridge, frameWindow, target } = setup()
    const stop = bridge.listen()
    target.deliver({ data: FETCH_INFO, origin: 'https://evil.example.com', source: frameWindow })
    target.deliver({ data: FETCH_INFO, origin: ORIGIN, source: {} })
    target.deliver({ data: FETCH_INFO, origin: DASHBOARD, source: frameWindow })
    expect(frameWindow.postMessage).not.toHaveBeenCalled()
    target.deliver({ data: FETCH_INFO, origin: ORIGIN, source: frameWindow })
    expect(sent(frameWindow)).toEqual([{ event: APP_CONTEXT, data: { conversation: { id: 1 } }, target: ORIGIN }])
    stop()
    expect(target.count()).toBe(0)
    target.deliver({ data: FETCH_INFO, origin: ORIGIN, source: frameWindow })
    expect(frameWindow.postMessage).toHaveBeenCalledTimes(1)
  })

  it('posts nothing at all for an app URL that is not https', () => {
    const { bridge, frameWindow, target } = setup('http://crm.example.com/app')
    bridge.listen()
    bridge.loaded()
    target.deliver({ data: FETCH_INFO, origin: 'http://crm.example.com', source: frameWindow })
    expect(bridge.origin).toBe(null)
    expect(frameWindow.postMessage).not.toHaveBeenCalled()
  })
})

describe('frameUrl', () => {
  it('is the first frame’s url of Chatwoot’s content', () => {
    expect(frameUrl({ content: [{ type: 'frame', url: APP }] })).toBe(APP)
    expect(frameUrl({ content: [] })).toBe('')
    expect(frameUrl({})).toBe('')
  })
})

describe('the dashboard apps settings screen', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('sends Chatwoot’s body, refuses http before asking the server, and shows the server’s refusal', async () => {
    const items = []
    const { w, calls } = await mountAt(DashboardApps, '/app/accounts/1/settings/dashboard-apps', {
      'GET /api/v1/accounts/1/dashboard_apps': () => [200, items],
      'POST /api/v1/accounts/1/dashboard_apps': (b) =>
        b.content[0].url.includes('169.254')
          ? [422, { error: 'content.0.url points to a private or reserved address' }]
          : [200, items[items.push({ id: items.length + 1, created_at: '2026-12-04T10:00:00Z', ...b }) - 1]],
    }, user('administrator'))
    const submit = async (title, url) => {
      await w.get('[data-testid="dashboard-app-title"]').setValue(title)
      await w.get('[data-testid="dashboard-app-url"]').setValue(url)
      await w.get('[data-testid="dashboard-app-form"]').trigger('submit')
      await flushPromises()
    }
    await submit('CRM', 'http://crm.example.com/')
    expect(w.get('[data-testid="dashboard-app-error"]').text()).toMatch(/https/)
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    await submit('CRM', 'https://169.254.169.254/')
    expect(w.get('[data-testid="dashboard-app-error"]').text()).toMatch(/private/)
    await submit(' CRM ', ' https://crm.example.com/app ')
    expect(calls.filter((c) => c.method === 'POST').pop().body).toEqual({ title: 'CRM', content: [{ type: 'frame', url: 'https://crm.example.com/app' }] })
    expect(w.get('[data-testid="dashboard-app-1"]').text()).toContain('https://crm.example.com/app')
  })
})
