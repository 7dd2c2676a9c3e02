// What the dashboard screen tests share: a fake server behind fetch and a screen mounted
// at its route (with the app's real router and guards).
import { vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from '../src/dashboard/router.js'
import { setUser } from '../src/dashboard/session.js'

// A person of account 1 with `role`, as /auth/sign_in answers.
export const user = (role, name = 'Ada') => ({ id: 2, name, access_token: 't', accounts: [{ id: 1, name: 'Acme', role }] })

// A fake server: routes map "METHOD /path" to (body, query) => [status, json]; anything
// else answers 404. `calls` records every request.
export function fakeServer(routes) {
  const calls = []
  const fetchImpl = vi.fn(async (url, init) => {
    const u = new URL(url, 'http://parley.test')
    const query = Object.fromEntries(u.searchParams)
    const body = init.body instanceof FormData ? init.body : init.body ? JSON.parse(init.body) : undefined // a FormData upload as it is
    calls.push({ method: init.method, path: u.pathname, query, body })
    const route = routes[init.method + ' ' + u.pathname]
    const [status, json] = route ? route(body, query) : [404, { error: 'Not found' }]
    return new Response(JSON.stringify(json), { status })
  })
  return { calls, fetchImpl }
}

// The app's router at `path`, with fetch answering as `fetchImpl` does.
export async function routerAt(path, fetchImpl) {
  globalThis.fetch = fetchImpl
  const router = createAppRouter(createMemoryHistory())
  router.push(path)
  await router.isReady()
  return router
}

// `component` mounted at `path`, fetch answering with fakeServer(routes) (or, given a
// function, with what it returns for every request), signed in as `person` if given.
export async function mountAt(component, path, routes, person = null) {
  if (person) setUser(person, false)
  const { calls, fetchImpl } = typeof routes === 'function' ? { calls: [], fetchImpl: vi.fn(async () => routes()) } : fakeServer(routes)
  const router = await routerAt(path, fetchImpl)
  const w = mount(component, { global: { plugins: [router] } })
  await flushPromises()
  return { w, calls, router }
}
