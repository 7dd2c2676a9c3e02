// The server revokes a socket whose user lost its rights: {"event":"connection.revoked",
// "reason"} then a close (docs/realtime.md "Sockets follow their user's rights").
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import { createRealtime } from '../src/shared/realtime.js'
import { inbox, stopInbox, useInbox } from '../src/dashboard/current.js'
import { clearSession, session, setUser, whenSignedOut } from '../src/dashboard/session.js'
import { createAppRouter } from '../src/dashboard/router.js'
import SignIn from '../src/dashboard/views/SignIn.vue'
import { fakeSockets } from './fake-socket.js'

describe('realtime client and a revoked socket', () => {
  let sockets, FakeWebSocket, client

  beforeEach(() => {
    vi.useFakeTimers()
    ;({ sockets, FakeWebSocket } = fakeSockets())
  })
  afterEach(() => {
    client && client.close()
    vi.useRealTimers()
  })

  it('hands the reason to onRevoked, not to onEvent, and stays closed once told to', () => {
    const events = []
    const reasons = []
    client = createRealtime({
      url: 'ws://test/ws?token=t',
      WebSocketImpl: FakeWebSocket,
      onEvent: (event) => events.push(event),
      onRevoked: (reason) => {
        reasons.push(reason)
        client.close()
      },
      random: () => 0,
    })
    sockets[0].open()
    sockets[0].push({ event: 'connection.revoked', reason: 'password_changed' })
    sockets[0].drop()
    vi.advanceTimersByTime(120000)
    expect(reasons).toEqual(['password_changed'])
    expect(events).toEqual([])
    expect(sockets).toHaveLength(1)
  })

  it('reconnects after a revocation its owner does not act on (flooding: the token still stands)', () => {
    client = createRealtime({ url: 'ws://test/ws?token=t', WebSocketImpl: FakeWebSocket, onEvent: () => {}, random: () => 0 })
    sockets[0].open()
    sockets[0].push({ event: 'connection.revoked', reason: 'flooding' })
    sockets[0].drop()
    vi.advanceTimersByTime(1000)
    expect(sockets).toHaveLength(2)
  })
})

describe('dashboard signed out by its socket', () => {
  let sockets, signedOut

  beforeEach(() => {
    vi.useFakeTimers()
    const fake = fakeSockets()
    sockets = fake.sockets
    vi.stubGlobal('WebSocket', fake.FakeWebSocket)
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ data: { meta: {}, payload: [] } }), { status: 200 })))
    window.globalConfig = { WEBSOCKET_URL: 'ws://parley.test/ws' }
    signedOut = 0
    whenSignedOut(() => signedOut++)
    setUser({ id: 7, name: 'Me', access_token: 'old-token', accounts: [{ id: 1, name: 'Acme', role: 'agent' }] })
  })
  afterEach(() => {
    stopInbox()
    clearSession()
    session.notice = ''
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  function openInbox() {
    useInbox()
    expect(sockets).toHaveLength(1)
    expect(sockets[0].url).toContain('token=old-token')
    sockets[0].open()
    return sockets[0]
  }

  it.each([
    ['password_changed', 'You were signed out: your password was changed.'],
    ['token_revoked', 'You were signed out: this session was ended.'],
    ['user_deleted', 'You were signed out: your user was deleted.'],
    ['removed_from_account', 'You were signed out: you were removed from the account.'],
  ])('%s: stops reconnecting, clears the session, says why', async (reason, notice) => {
    const ws = openInbox()
    ws.push({ event: 'connection.revoked', reason })
    ws.drop()
    vi.advanceTimersByTime(120000)
    expect(sockets).toHaveLength(1) // never again with the old token
    expect(session.token).toBe('')
    expect(localStorage.getItem('parley.session')).toBeNull()
    expect(inbox.value).toBeNull()
    expect(signedOut).toBe(1)
    expect(session.notice).toBe(notice)

    vi.useRealTimers()
    const router = createAppRouter(createMemoryHistory())
    router.push('/app/login')
    await router.isReady()
    const page = mount(SignIn, { global: { plugins: [router] } })
    await flushPromises()
    expect(page.get('[data-testid="signin-error"]').text()).toBe(notice)
  })

  it('flooding or an unknown reason: the session stays and the socket reconnects', () => {
    const ws = openInbox()
    ws.push({ event: 'connection.revoked', reason: 'flooding' })
    ws.drop()
    vi.advanceTimersByTime(2000)
    expect(session.token).toBe('old-token')
    expect(signedOut).toBe(0)
    expect(sockets).toHaveLength(2)
  })
})
