// The iframe's side of the embed handshake: it takes the visitor's session and commands only
// from its real parent, on an allowed origin, and posts only to that origin (never '*').
import { describe, expect, it, vi } from 'vitest'
import { createBridge, originAllowed } from '../src/widget/bridge.js'
import { decode, encode } from '../src/shared/protocol.js'

const HOST = 'https://shop.acme.test'

function fakeWindow() {
  const listeners = []
  const parent = { postMessage: vi.fn() }
  const win = {
    parent,
    addEventListener: (type, fn) => listeners.push(fn),
    removeEventListener: (type, fn) => listeners.splice(listeners.indexOf(fn), 1),
  }
  const deliver = (message, origin = HOST, source = parent) =>
    listeners.slice().forEach((fn) => fn({ data: typeof message === 'string' ? message : encode(message), origin, source }))
  const sent = () => parent.postMessage.mock.calls.map(([data, target]) => ({ ...decode(data), target }))
  return { win, parent, deliver, sent }
}

describe('originAllowed', () => {
  it('follows the inbox allowed domains: host names, *.wildcards and ports', () => {
    const allowed = ['acme.test', '*.acme-cdn.test', 'localhost:8080', 'https://secure.test', 'dev.test:*']
    for (const ok of ['https://acme.test', 'http://acme.test', 'https://a.acme-cdn.test', 'https://a.b.acme-cdn.test',
      'http://localhost:8080', 'https://secure.test', 'http://dev.test:3000']) expect(originAllowed(ok, allowed), ok).toBe(true)
    for (const bad of ['https://acme.test.evil', 'https://evilacme.test', 'https://acme-cdn.test', 'https://x.acme.test',
      'http://localhost:9090', 'http://localhost', 'https://acme.test:8443', 'http://secure.test', 'null', '']) {
      expect(originAllowed(bad, allowed), bad).toBe(false)
    }
  })
  it('lets any site in when the list is empty (Chatwoot)', () => {
    expect(originAllowed('https://anything.test', [])).toBe(true)
  })
})

describe('widget bridge handshake', () => {
  it('says hello without any data, then posts nothing until its parent hands it a session', async () => {
    const { win, deliver, sent } = fakeWindow()
    const bridge = createBridge(win, () => {}, { allowed: ['shop.acme.test'] })
    const session = bridge.handshake(1000)
    bridge.post({ event: 'auth', token: 'secret' })
    expect(sent()).toEqual([{ event: 'hello', target: '*' }])
    deliver({ event: 'session', token: 'T1' })
    await expect(session).resolves.toBe('T1')
    expect(bridge.target).toBe(HOST)
    bridge.post({ event: 'auth', token: 'T2' })
    expect(sent().at(-1)).toEqual({ event: 'auth', token: 'T2', target: HOST })
    expect(sent().filter((m) => m.target === '*').map((m) => m.event)).toEqual(['hello'])
  })

  it('refuses a session from another window or from a disallowed origin', async () => {
    const { win, deliver, sent } = fakeWindow()
    const onMessage = vi.fn()
    const bridge = createBridge(win, onMessage, { allowed: ['shop.acme.test'] })
    const session = bridge.handshake(50)
    deliver({ event: 'session', token: 'EVIL' }, HOST, { postMessage() {} }) // not our parent
    deliver({ event: 'session', token: 'EVIL' }, 'https://evil.test') // parent, wrong origin
    deliver({ event: 'command', name: 'setUser', args: ['victim', {}] }, HOST) // before the handshake
    await expect(session).resolves.toBe('')
    expect(bridge.target).toBe(null)
    expect(onMessage).not.toHaveBeenCalled()
    bridge.post({ event: 'popout-url', url: 'https://parley.test/widget?x#auth=T' })
    expect(sent().map((m) => m.event)).toEqual(['hello']) // never a token or URL to an unknown origin
  })

  it('after the handshake, takes commands only from the parent on the same origin', async () => {
    const { win, deliver } = fakeWindow()
    const onMessage = vi.fn()
    const bridge = createBridge(win, onMessage, { allowed: [] })
    const session = bridge.handshake(1000)
    deliver({ event: 'session', token: '' }, 'https://any.test')
    await expect(session).resolves.toBe('')
    expect(bridge.target).toBe('https://any.test')
    deliver({ event: 'command', name: 'setLabel', args: ['vip'] }, 'https://other.test')
    deliver({ event: 'command', name: 'setLabel', args: ['vip'] }, 'https://any.test', { postMessage() {} })
    deliver({ event: 'session', token: 'LATER' }, 'https://any.test') // a second session changes nothing
    expect(onMessage).not.toHaveBeenCalled()
    deliver({ event: 'command', name: 'setLabel', args: ['vip'] }, 'https://any.test')
    expect(onMessage).toHaveBeenCalledWith({ event: 'command', name: 'setLabel', args: ['vip'] })
  })

  it('is inert outside an iframe (popout window)', () => {
    const { win } = fakeWindow()
    win.parent = win
    const bridge = createBridge(win, () => {}, { allowed: [] })
    expect(bridge.embedded).toBe(false)
    expect(() => bridge.post({ event: 'ready' })).not.toThrow()
  })
})
