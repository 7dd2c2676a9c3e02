import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import SignIn from '../src/dashboard/views/SignIn.vue'
import PasswordReset from '../src/dashboard/views/PasswordReset.vue'
import TwoFactorPanel from '../src/dashboard/settings/TwoFactorPanel.vue'
import { clearSession, session } from '../src/dashboard/session.js'
import { mountAt, user } from './screen.js'

const signedIn = { ...user('agent'), access_token: 'tok-2' }

async function passwordStep(routes) {
  const screen = await mountAt(SignIn, '/app/login', routes)
  await screen.w.get('[data-testid="signin-email"]').setValue('a@b.co')
  await screen.w.get('[data-testid="signin-password"]').setValue('pw')
  await screen.w.get('form').trigger('submit')
  await flushPromises()
  return screen
}

describe('two-factor sign-in', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('asks for the code after the password, then signs in with the mfa_token', async () => {
    const { w, calls, router } = await passwordStep({
      'POST /auth/sign_in': (body) =>
        body.mfa_token ? (body.otp_code === '123456' ? [200, { data: signedIn }] : [400, { error: 'Invalid verification code' }]) : [206, { mfa_required: true, mfa_token: 'mt' }],
    })
    expect(session.token).toBe('')
    await w.get('[data-testid="signin-otp"]').setValue('000000')
    await w.get('[data-testid="signin-mfa-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="signin-error"]').text()).toBe('Invalid verification code')
    await w.get('[data-testid="signin-otp"]').setValue('123 456')
    await w.get('[data-testid="signin-mfa-form"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).body).toEqual({ mfa_token: 'mt', otp_code: '123456' })
    expect(session.token).toBe('tok-2')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/conversations'), { timeout: 5000 })
    w.unmount()
  })

  it('sends a recovery code as backup_code, and an expired mfa_token goes back to the password', async () => {
    const { w, calls } = await passwordStep({
      'POST /auth/sign_in': (body) => (body.mfa_token ? [401, { error: 'Invalid or expired MFA token. Please sign in again.' }] : [206, { mfa_required: true, mfa_token: 'mt' }]),
    })
    await w.get('[data-testid="signin-use-recovery"]').trigger('click')
    await w.get('[data-testid="signin-otp"]').setValue('abcde-fghjk')
    await w.get('[data-testid="signin-mfa-form"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).body).toEqual({ mfa_token: 'mt', backup_code: 'abcde-fghjk' })
    expect(w.find('[data-testid="signin-mfa-form"]').exists()).toBe(false)
    expect(w.get('[data-testid="signin-error"]').text()).toBe('The sign-in took too long. Enter your password again.')
  })

  it('sends a member whose account requires it to the enrolment first', async () => {
    const { router } = await passwordStep({ 'POST /auth/sign_in': () => [200, { data: { ...signedIn, mfa_enrollment_required: true } }] })
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('two-factor'), { timeout: 5000 })
    await router.push('/app/accounts/1/conversations')
    expect(router.currentRoute.value.name).toBe('two-factor')
  })
})

describe('password reset with two-factor sign-in on', () => {
  afterEach(() => clearSession())

  it('sends the person to sign in with the new password and a code', async () => {
    const { w, router } = await mountAt(PasswordReset, '/app/auth/reset?token=secret-1', {
      'PUT /auth/password': () => [206, { mfa_required: true, mfa_token: 'mt' }],
    })
    await w.get('[data-testid="reset-password"]').setValue('Fresh-start-42!')
    await w.get('[data-testid="reset-confirmation"]').setValue('Fresh-start-42!')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(session.token).toBe('')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'), { timeout: 5000 })
    expect(session.notice).toBe('Your password was changed. Sign in with it and your authentication code.')
  })
})

describe('two-factor settings', () => {
  afterEach(() => clearSession())

  it('enrols: QR and key, a first code, then the ten recovery codes once', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => 'code' + i + '-abcde')
    const { w, calls } = await mountAt(TwoFactorPanel, '/app/profile/two-factor', {
      'GET /api/v1/profile/mfa': () => [200, { enabled: false, backup_codes_generated: false }],
      'POST /api/v1/profile/mfa': () => [200, { secret: 'JBSWY3DPEHPK3PXP', provisioning_url: 'otpauth://totp/x', qr_code_url: 'data:image/svg+xml,x', enabled: false }],
      'POST /api/v1/profile/mfa/verify': (body) => (body.otp_code === '654321' ? [200, { enabled: true, backup_codes_generated: true, backup_codes: codes }] : [400, { error: 'Invalid verification code' }]),
      'GET /api/v1/profile': () => [200, { ...signedIn, mfa_enabled: true }],
    }, signedIn)
    expect(w.get('[data-testid="mfa-status"]').attributes('data-enabled')).toBe('false')
    await w.get('[data-testid="mfa-start"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="mfa-secret"]').text()).toBe('JBSWY3DPEHPK3PXP')
    expect(w.get('[data-testid="mfa-qr"]').attributes('src')).toBe('data:image/svg+xml,x')
    await w.get('[data-testid="mfa-code"]').setValue('654321')
    await w.get('[data-testid="mfa-setup"]').trigger('submit')
    await flushPromises()
    expect(w.findAll('[data-testid="mfa-recovery-codes"] li').map((li) => li.text())).toEqual(codes)
    await w.get('[data-testid="mfa-done"]').trigger('click')
    expect(w.find('[data-testid="mfa-recovery-codes"]').exists()).toBe(false)
    expect(w.get('[data-testid="mfa-status"]').attributes('data-enabled')).toBe('true')
    expect(calls.some((c) => c.method === 'GET' && c.path === '/api/v1/profile')).toBe(true)
  })
})
