import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import SignIn from '../src/dashboard/views/SignIn.vue'
import { clearSession, session } from '../src/dashboard/session.js'
import { mountAt } from './screen.js'

async function mountSignIn(response) {
  const { w, router } = await mountAt(SignIn, '/app/login', response)
  await w.get('[data-testid="signin-email"]').setValue('a@b.co')
  await w.get('[data-testid="signin-password"]').setValue('pw')
  await w.get('form').trigger('submit')
  await flushPromises()
  return { w, router }
}

describe('sign in page', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('shows the 401 message', async () => {
    const { w } = await mountSignIn(() => new Response(JSON.stringify({ error: 'Invalid login credentials. Please try again.' }), { status: 401 }))
    expect(w.get('[data-testid="signin-error"]').text()).toBe('Invalid login credentials. Please try again.')
    expect(session.token).toBe('')
  })

  it('shows the wait from Retry-After on 429 and counts down', async () => {
    vi.useFakeTimers()
    const { w } = await mountSignIn(() => new Response(JSON.stringify({ error: 'Too many' }), { status: 429, headers: { 'Retry-After': '12' } }))
    expect(w.get('[data-testid="signin-error"]').text()).toBe('Too many attempts, try again in 12 s.')
    expect(w.get('[data-testid="signin-submit"]').attributes('disabled')).toBeDefined()
    vi.advanceTimersByTime(2000)
    await flushPromises()
    expect(w.get('[data-testid="signin-error"]').text()).toBe('Too many attempts, try again in 10 s.')
    vi.useRealTimers()
  })

  it('stores the session and goes to the account inbox', async () => {
    const user = { id: 7, name: 'Me', access_token: 'tok-1', accounts: [{ id: 3, name: 'Acme', role: 'agent' }], type: null }
    const { w, router } = await mountSignIn(() => new Response(JSON.stringify({ data: user }), { status: 200 }))
    await flushPromises()
    expect(session.token).toBe('tok-1')
    expect(JSON.parse(localStorage.getItem('parley.session')).access_token).toBe('tok-1')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/app/accounts/3/conversations'), { timeout: 5000 })
    w.unmount()
  })
})
