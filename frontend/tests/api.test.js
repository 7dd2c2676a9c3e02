import { describe, expect, it, vi } from 'vitest'
import { ApiError, createApi, errorMessage, parseRetryAfter } from '../src/shared/api.js'

function respond(status, body, headers = {}) {
  return vi.fn(async () => new Response(body == null ? '' : typeof body === 'string' ? body : JSON.stringify(body), { status, headers }))
}

describe('api client', () => {
  it('sends the auth header, JSON body and query parameters', async () => {
    const fetchImpl = respond(200, { ok: 1 })
    const api = createApi({
      fetchImpl,
      headers: () => ({ api_access_token: 'tok' }),
      query: () => ({ website_token: 'W T' }),
    })
    expect(await api.post('/api/v1/x', { a: 1 }, { before: 5 })).toEqual({ ok: 1 })
    const [url, init] = fetchImpl.mock.calls[0]
    expect(url).toBe('/api/v1/x?website_token=W%20T&before=5')
    expect(init.method).toBe('POST')
    expect(init.headers.api_access_token).toBe('tok')
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(init.body)).toEqual({ a: 1 })
  })

  it('sends no body on GET and skips empty query values', async () => {
    const fetchImpl = respond(200, [])
    const api = createApi({ fetchImpl, headers: () => ({ 'X-Auth-Token': 'jwt' }) })
    await api.get('/api/v1/widget/messages', { before: undefined, page: '' })
    const [url, init] = fetchImpl.mock.calls[0]
    expect(url).toBe('/api/v1/widget/messages')
    expect(init.body).toBeUndefined()
    expect(init.headers['X-Auth-Token']).toBe('jwt')
  })

  it("maps Chatwoot's error bodies to a message and keeps status and body", async () => {
    const api = createApi({ fetchImpl: respond(422, { error: 'Email is invalid', description: 'x', errors: [] }) })
    const err = await api.post('/x', {}).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(err.message).toBe('Email is invalid')
    expect(err.body.description).toBe('x')

    expect(errorMessage(400, { errors: [{ field: 'a', message: 'a is required' }] })).toBe('a is required')
    expect(errorMessage(400, { errors: ['plain'] })).toBe('plain')
    expect(errorMessage(404, null)).toBe('Not found.')
    expect(errorMessage(502, '<html>bad gateway</html>')).toMatch(/server had a problem/)
  })

  it('reads Retry-After on 429 (seconds or an HTTP date)', async () => {
    const api = createApi({ fetchImpl: respond(429, { error: 'Too many sign-in attempts' }, { 'Retry-After': '37' }) })
    const err = await api.post('/auth/sign_in', {}).catch((e) => e)
    expect(err.status).toBe(429)
    expect(err.retryAfter).toBe(37)
    expect(err.message).toBe('Too many sign-in attempts')
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10)
    expect(parseRetryAfter(null)).toBeNull()
    expect(parseRetryAfter('soon')).toBeNull()
  })

  it('calls onUnauthorized on 401 and reports network failures as status 0', async () => {
    const onUnauthorized = vi.fn()
    const api = createApi({ fetchImpl: respond(401, { error: 'Invalid token' }), onUnauthorized })
    await expect(api.get('/api/v1/profile')).rejects.toMatchObject({ status: 401, message: 'Invalid token' })
    expect(onUnauthorized).toHaveBeenCalledOnce()

    const offline = createApi({ fetchImpl: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) })
    await expect(offline.get('/x')).rejects.toMatchObject({ status: 0, message: expect.stringMatching(/reach the server/) })
  })
})
