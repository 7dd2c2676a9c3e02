import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt } from './screen.js'
import { clearSession } from '../src/dashboard/session.js'
import AccountsSection from '../src/dashboard/superadmin/AccountsSection.vue'
import UsersSection from '../src/dashboard/superadmin/UsersSection.vue'

const root = { id: 1, name: 'Root', type: 'SuperAdmin', access_token: 't', accounts: [] }
const account = (id, status = 'active') => ({ id, name: 'Shop ' + id, status, locale: 'en', limits: {}, features: [], counts: { members: 1, inboxes: 0, conversations: 0 } })

afterEach(() => clearSession())

describe('super-admin console: accounts', () => {
  it('searches, pages with the cursor, and suspends only once confirmed', async () => {
    const { w, calls } = await mountAt(AccountsSection, '/app/super_admin/accounts', {
      'GET /super_admin/api/v1/accounts': (_, q) =>
        q.before ? [200, { payload: [account(1)], meta: { next_before: null } }] : [200, { payload: [account(3), account(2)], meta: { next_before: 2 } }],
      'GET /super_admin/api/v1/accounts/features': () => [200, { payload: ['help_center'] }],
      'POST /super_admin/api/v1/accounts/3/suspend': () => [200, account(3, 'suspended')],
    }, root)
    expect(w.findAll('[data-testid^="sa-account-status-"]').map((s) => s.text())).toEqual(['active', 'active'])
    await w.get('[data-testid="sa-account-more"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1).query).toMatchObject({ before: '2', per_page: '25' })
    expect(w.findAll('[data-testid^="sa-account-status-"]')).toHaveLength(3)
    expect(w.find('[data-testid="sa-account-more"]').exists()).toBe(false)

    await w.get('[data-testid="sa-account-search"]').setValue(' shop 3 ')
    await w.get('[data-testid="sa-account-search-go"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).query).toMatchObject({ q: 'shop 3' })

    await w.get('[data-testid="sa-account-suspend-3"]').trigger('click')
    expect(calls.some((c) => c.path.endsWith('/suspend'))).toBe(false) // asks first
    await w.get('[data-testid="sa-account-suspend-3-confirm"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="sa-account-status-3"]').text()).toBe('suspended')
    expect(w.find('[data-testid="sa-account-reactivate-3"]').exists()).toBe(true)
  })

  it('checks a create form before sending: a name, whole-number limits', async () => {
    const { w, calls } = await mountAt(AccountsSection, '/app/super_admin/accounts', {
      'GET /super_admin/api/v1/accounts': () => [200, { payload: [], meta: { next_before: null } }],
      'POST /super_admin/api/v1/accounts': (b) => [200, { ...account(9), ...b }],
    }, root)
    await w.get('[data-testid="sa-account-form"]').trigger('submit')
    expect(w.get('[data-testid="sa-account-form"]').text()).toMatch(/name/)
    await w.get('[data-testid="sa-account-name"]').setValue('Initech')
    await w.get('[data-testid="sa-account-agents"]').setValue('-1')
    await w.get('[data-testid="sa-account-form"]').trigger('submit')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    await w.get('[data-testid="sa-account-agents"]').setValue('4')
    await w.get('[data-testid="sa-account-form"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).body).toMatchObject({ name: 'Initech', limits: { agents: 4 } })
    expect(w.get('[data-testid="sa-account-list"]').text()).toContain('Initech')
  })
})

describe('super-admin console: users', () => {
  it('offers no removal of your own rights; revoking asks first; reset two-factor calls its route', async () => {
    const users = [{ id: 1, name: 'Root', email: 'root@x.test', type: 'SuperAdmin', confirmed: true },
      { id: 5, name: 'Ann', email: 'ann@x.test', type: null, confirmed: false }]
    const { w, calls } = await mountAt(UsersSection, '/app/super_admin/users', {
      'GET /super_admin/api/v1/users': () => [200, { payload: users, meta: { next_before: null } }],
      'POST /super_admin/api/v1/users/5/revoke_tokens': () => [200, { revoked: 2 }],
      'POST /super_admin/api/v1/users/5/reset_mfa': () => [200, {}],
    }, root)
    expect(w.find('[data-testid="sa-user-remove-super-1"]').exists()).toBe(false)
    expect(w.find('[data-testid="sa-user-delete-1"]').exists()).toBe(false)
    expect(w.find('[data-testid="sa-user-confirm-5"]').exists()).toBe(true)
    await w.get('[data-testid="sa-user-revoke-5"]').trigger('click')
    await w.get('[data-testid="sa-user-revoke-5-confirm"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="sa-user-note"]').text()).toContain('2 tokens')
    await w.get('[data-testid="sa-user-reset-mfa-5"]').trigger('click')
    await w.get('[data-testid="sa-user-reset-mfa-5-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/super_admin/api/v1/users/5/reset_mfa' })
  })
})
