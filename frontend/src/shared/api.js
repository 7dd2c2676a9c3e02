// A small fetch wrapper shared by the widget and the dashboard: JSON in, JSON out,
// auth headers from a callback, and one error type for everything that goes wrong.

export class ApiError extends Error {
  constructor(status, message, body, retryAfter) {
    super(message)
    this.name = 'ApiError'
    this.status = status // 0 when the request never got an answer
    this.body = body
    this.retryAfter = retryAfter // seconds, from Retry-After (429 / 503), else null
  }
}

const FALLBACK = {
  0: 'Could not reach the server. Check your connection and try again.',
  401: 'You are not signed in.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  413: 'That is too large.',
  422: 'Some of the values are not valid.',
  429: 'Too many attempts. Please wait a moment and try again.',
}

// The message a person should see for an error body: Chatwoot's `error` / `message` /
// `description`, else the first `errors` entry, else a generic sentence for the status.
export function errorMessage(status, body) {
  if (body && typeof body === 'object') {
    for (const key of ['error', 'message', 'description']) {
      if (typeof body[key] === 'string' && body[key]) return body[key]
    }
    const first = Array.isArray(body.errors) ? body.errors[0] : null
    if (typeof first === 'string' && first) return first
    if (first && typeof first.message === 'string') return first.message
  }
  if (typeof body === 'string' && body && body.length < 200 && !body.trimStart().startsWith('<')) return body
  return FALLBACK[status] || (status >= 500 ? 'The server had a problem. Please try again.' : 'Request failed (' + status + ').')
}

// Retry-After is either seconds or an HTTP date.
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === '') return null
  const n = Number(value)
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n))
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}

export function createApi({ baseUrl = '', headers = () => ({}), query = () => ({}), onUnauthorized, fetchImpl } = {}) {
  async function request(method, path, { body, params } = {}) {
    const all = { ...query(), ...(params || {}) }
    const qs = Object.keys(all)
      .filter((k) => all[k] != null && all[k] !== '')
      .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(all[k]))
      .join('&')
    const url = baseUrl + path + (qs ? (path.includes('?') ? '&' : '?') + qs : '')
    const init = { method, headers: { Accept: 'application/json', ...headers() } }
    // A FormData body (a file upload) goes as multipart: fetch sets its Content-Type.
    if (body instanceof FormData) init.body = body
    else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let res
    try {
      res = await (fetchImpl || globalThis.fetch)(url, init)
    } catch (err) {
      throw new ApiError(0, errorMessage(0), null, null)
    }
    const text = await res.text()
    let data = null
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = text
      }
    }
    if (!res.ok) {
      const retryAfter = parseRetryAfter(res.headers.get('Retry-After'))
      const error = new ApiError(res.status, errorMessage(res.status, data), data, retryAfter)
      if (res.status === 401 && onUnauthorized) onUnauthorized(error)
      throw error
    }
    return data
  }
  return {
    request,
    get: (path, params) => request('GET', path, { params }),
    post: (path, body, params) => request('POST', path, { body: body === undefined ? {} : body, params }),
    patch: (path, body, params) => request('PATCH', path, { body, params }),
    put: (path, body, params) => request('PUT', path, { body, params }),
    del: (path, params) => request('DELETE', path, { params }),
  }
}
