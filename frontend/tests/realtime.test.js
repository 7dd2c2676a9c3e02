import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRealtime, websocketUrl } from '../src/shared/realtime.js'
import { fakeSockets } from './fake-socket.js'

describe('realtime client', () => {
  let sockets, FakeWebSocket, events, client

  beforeEach(() => {
    vi.useFakeTimers()
    ;({ sockets, FakeWebSocket } = fakeSockets())
    events = []
  })
  afterEach(() => {
    client && client.close()
    vi.useRealTimers()
  })

  function start(extra = {}) {
    client = createRealtime({
      url: 'ws://test/ws?token=t',
      WebSocketImpl: FakeWebSocket,
      onEvent: (event, data, frame) => events.push({ event, data, seq: frame.seq }),
      random: () => 0,
      ...extra,
    })
    return client
  }

  it('resumes from 0 on the first connect and sends heartbeats every 20 s', () => {
    start()
    expect(sockets).toHaveLength(1)
    expect(sockets[0].url).toBe('ws://test/ws?token=t')
    sockets[0].open()
    expect(sockets[0].sent).toEqual([{ action: 'resume', since: 0 }])
    vi.advanceTimersByTime(20000)
    expect(sockets[0].sent[1]).toEqual({ action: 'heartbeat' })
    vi.advanceTimersByTime(40000)
    expect(sockets[0].sent.filter((f) => f.action === 'heartbeat')).toHaveLength(3)
  })

  it('sends a refused resume again after retry_after, and only while it waits for resume.done', () => {
    start()
    const ws = sockets[0]
    ws.open()
    ws.push({ event: 'error', message: 'Too many resume requests; retry in 5 s', retry_after: 5 })
    vi.advanceTimersByTime(4999)
    expect(ws.sent).toEqual([{ action: 'resume', since: 0 }])
    vi.advanceTimersByTime(1)
    expect(ws.sent).toEqual([{ action: 'resume', since: 0 }, { action: 'resume', since: 0 }])
    ws.push({ event: 'message.created', data: { id: 1 }, id: 'a', seq: 9 })
    ws.push({ event: 'resume.done', seq: 9 })
    ws.push({ event: 'error', message: 'Too many frames; retry in 2 s', retry_after: 2 }) // not about a resume
    vi.advanceTimersByTime(10000)
    expect(ws.sent.filter((f) => f.action === 'resume')).toHaveLength(2)
    expect(events.filter((e) => e.event === 'message.created').map((e) => e.seq)).toEqual([9])
  })

  it('applies frames once by id, and keeps a lower seq that arrives late', () => {
    start()
    const ws = sockets[0]
    ws.open()
    ws.push({ event: 'message.created', data: { id: 1 }, id: 'a', seq: 1 })
    ws.push({ event: 'message.created', data: { id: 1 }, id: 'a', seq: 1 }) // same event again
    ws.push({ event: 'message.created', data: { id: 2 }, id: 'b', seq: 3 })
    ws.push({ event: 'message.updated', data: { id: 1 }, id: 'c', seq: 2 }) // published concurrently, arrived late
    ws.push({ event: 'pong' })
    ws.push('not json')
    ws.push({ nope: true })
    expect(events.map((e) => e.seq)).toEqual([1, 3, 2])
    expect(client.lastSeq).toBe(3)
  })

  it('reconnects with backoff and resumes since the last applied seq', () => {
    start()
    sockets[0].open()
    sockets[0].push({ event: 'message.created', data: { id: 7 }, id: 'x', seq: 41 })
    sockets[0].push({ event: 'resume.done', seq: 42 })
    expect(client.lastSeq).toBe(42)

    sockets[0].drop()
    expect(sockets).toHaveLength(1)
    vi.advanceTimersByTime(999)
    expect(sockets).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(sockets).toHaveLength(2) // first retry after 1 s

    sockets[1].drop() // refused again: the next wait doubles
    vi.advanceTimersByTime(1999)
    expect(sockets).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(sockets).toHaveLength(3)

    sockets[2].open()
    expect(sockets[2].sent[0]).toEqual({ action: 'resume', since: 42 })
    // replayed frames that were already applied are ignored, new ones applied in order
    sockets[2].push({ event: 'message.created', data: { id: 7 }, id: 'x', seq: 41 })
    sockets[2].push({ event: 'message.created', data: { id: 8 }, id: 'y', seq: 43 })
    sockets[2].push({ event: 'resume.done', seq: 43 })
    expect(events.map((e) => e.data.id)).toEqual([7, 8])

    // after a successful open the backoff starts again from 1 s
    sockets[2].drop()
    vi.advanceTimersByTime(1000)
    expect(sockets).toHaveLength(4)
  })

  it('caps the backoff and stops for good on close()', () => {
    start({ maxDelay: 4000 })
    for (let i = 0; i < 6; i++) {
      sockets[sockets.length - 1].drop()
      vi.advanceTimersByTime(4000)
    }
    expect(sockets).toHaveLength(7)
    client.close()
    vi.advanceTimersByTime(60000)
    expect(sockets).toHaveLength(7)
  })

  it('keeps going when a handler throws', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    start({ onEvent: (e, d) => (d.boom ? (() => { throw new Error('x') })() : events.push(d)) })
    sockets[0].open()
    sockets[0].push({ event: 'a', data: { boom: true }, id: '1', seq: 1 })
    sockets[0].push({ event: 'a', data: { ok: true }, id: '2', seq: 2 })
    expect(events).toEqual([{ ok: true }])
    spy.mockRestore()
  })

  it('builds the socket URL from WEBSOCKET_URL or the page host', () => {
    expect(websocketUrl('ws://127.0.0.1:3000/ws', { pubsub_token: 'a b' })).toBe('ws://127.0.0.1:3000/ws?pubsub_token=a%20b')
    expect(websocketUrl('wss://x/ws?v=1', { token: 't', account_id: 2 })).toBe('wss://x/ws?v=1&token=t&account_id=2')
    expect(websocketUrl('', { token: 't' })).toMatch(/^wss?:\/\/[^/]+\/ws\?token=t$/)
  })
})
