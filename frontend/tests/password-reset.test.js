import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import PasswordReset from '../src/dashboard/views/PasswordReset.vue'
import SignIn from '../src/dashboard/views/SignIn.vue'
import { clearSession, session } from '../src/dashboard/session.js'
import { mountAt as mountScreen } from './screen.js'

const mountAt = (path, response) => mountScreen(PasswordReset, path, response)

describe('password reset page', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('is linked from the sign-in page', async () => {
    const { w } = await mountScreen(SignIn, '/app/login', () => new Response('{}'))
    expect(w.get('[data-testid="signin-forgot"]').attributes('href')).toBe('/app/auth/reset')
  })

  it('asks for a link and shows the answer', async () => {
    const { w } = await mountAt('/app/auth/reset', () => new Response(JSON.stringify({ message: 'Check your mail.' }), { status: 200 }))
    await w.get('[data-testid="reset-email"]').setValue(' me@acme.test ')
    await w.get('form').trigger('submit')
    await flushPromises()
    const [url, init] = globalThis.fetch.mock.calls[0]
    expect(url).toBe('/auth/password')
    expect(JSON.parse(init.body)).toEqual({ email: 'me@acme.test' })
    expect(w.get('[data-testid="reset-sent"]').text()).toBe('Check your mail.')
  })

  it('sets the password with the link token, drops it from the address and signs in', async () => {
    const user = { id: 7, name: 'Me', access_token: 'tok-2', accounts: [{ id: 3, name: 'Acme', role: 'agent' }], type: null }
    const { w, router } = await mountAt('/app/auth/reset?token=secret-1', () => new Response(JSON.stringify({ data: user }), { status: 200 }))
    expect(router.currentRoute.value.fullPath).toBe('/app/auth/reset')
    await w.get('[data-testid="reset-password"]').setValue('Fresh-start-42!')
    await w.get('[data-testid="reset-confirmation"]').setValue('Fresh-start-42!')
    await w.get('form').trigger('submit')
    await flushPromises()
    const [url, init] = globalThis.fetch.mock.calls[0]
    expect([url, init.method]).toEqual(['/auth/password', 'PUT'])
    expect(JSON.parse(init.body)).toEqual({ reset_password_token: 'secret-1', password: 'Fresh-start-42!', password_confirmation: 'Fresh-start-42!' })
    expect(session.token).toBe('tok-2')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/app/accounts/3/conversations'), { timeout: 5000 })
    w.unmount()
  })

  it('shows why a used link fails', async () => {
    const { w } = await mountAt('/app/auth/reset?token=used', () => new Response(JSON.stringify({ error: 'This password link is invalid, used or expired. Ask for a new one.' }), { status: 422 }))
    await w.get('[data-testid="reset-password"]').setValue('Fresh-start-42!')
    await w.get('[data-testid="reset-confirmation"]').setValue('Fresh-start-42!')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="reset-error"]').text()).toContain('invalid, used or expired')
    expect(session.token).toBe('')
  })
})
