import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import { mountAt, user } from './screen.js'
import { createAppRouter } from '../src/dashboard/router.js'
import { clearSession, hasPermission, setUser } from '../src/dashboard/session.js'
import { accountEndpoints } from '../src/shared/endpoints.js'
import Agents from '../src/dashboard/settings/Agents.vue'
import CustomRoles from '../src/dashboard/settings/CustomRoles.vue'

// An agent of account 1 whose custom role grants `permissions` (Chatwoot's account entry).
const roleAgent = (permissions) => ({
  ...user('agent'),
  accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }],
})

describe('custom roles', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('Settings > Roles creates, edits and deletes a role with the permission checkboxes', async () => {
    let roles = [{ id: 1, name: 'Triage', description: '', permissions: ['conversation_unassigned_manage'] }]
    const { w, calls } = await mountAt(CustomRoles, '/app/accounts/1/settings/roles', {
      'GET /api/v1/accounts/1/custom_roles': () => [200, roles],
      'POST /api/v1/accounts/1/custom_roles': (b) =>
        b.name === 'Triage' ? [422, { error: 'Name has already been taken' }] : [200, { id: 2, ...b }],
      'PATCH /api/v1/accounts/1/custom_roles/1': (b) => [200, (roles = [{ ...roles[0], ...b }])[0]],
      'DELETE /api/v1/accounts/1/custom_roles/1': () => [200, {}],
    }, user('administrator'))
    expect(w.get('[data-testid="role-row-permissions"]').text()).toMatch(/unassigned/)
    await w.get('[data-testid="role-name"]').setValue('Contacts desk')
    await w.get('[data-testid="role-permission-report_manage"]').setValue(true)
    await w.get('[data-testid="role-permission-contact_manage"]').setValue(true)
    await w.get('[data-testid="role-form"]').trigger('submit')
    await flushPromises()
    const created = calls.find((c) => c.method === 'POST')
    // Chatwoot's order, whatever the clicking order.
    expect(created.body).toEqual({ name: 'Contacts desk', description: '', permissions: ['contact_manage', 'report_manage'] })
    expect(w.findAll('[data-testid="role-row-name"]').map((r) => r.text())).toEqual(['Contacts desk', 'Triage'])
    // The server's 422 for a taken name shows in the form.
    await w.get('[data-testid="role-name"]').setValue('Triage')
    await w.get('[data-testid="role-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="role-error"]').text()).toBe('Name has already been taken')
    // A blank name never reaches the server.
    const before = calls.length
    await w.get('[data-testid="role-name"]').setValue('  ')
    await w.get('[data-testid="role-form"]').trigger('submit')
    expect(calls.length).toBe(before)
    expect(w.get('[data-testid="role-error"]').text()).toMatch(/name/)
  })

  it('the Agents screen picks a custom role for an agent', async () => {
    const agents = [{ id: 5, name: 'Aaron', email: 'a@acme.test', role: 'agent' }, { id: 2, name: 'Ada', email: 'ada@acme.test', role: 'administrator' }]
    const { w, calls } = await mountAt(Agents, '/app/accounts/1/settings/agents', {
      'GET /api/v1/accounts/1/agents': () => [200, agents],
      'GET /api/v1/accounts/1/custom_roles': () => [200, [{ id: 7, name: 'Triage', permissions: [] }]],
      'PATCH /api/v1/accounts/1/agents/5': (b) => [200, { ...agents[0], role: b.role, custom_role_id: b.custom_role_id }],
    }, user('administrator'))
    const selects = w.findAll('[data-testid="agent-custom-role-select"]')
    expect(selects).toHaveLength(1) // administrators keep every right: no picker
    await selects[0].setValue('7')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', path: '/api/v1/accounts/1/agents/5', body: { role: 'agent', custom_role_id: 7 } })
    await w.get('[data-testid="agent-custom-role-select"]').setValue('')
    await flushPromises()
    expect(calls.at(-1).body).toEqual({ role: 'agent', custom_role_id: null })
  })

  it('the dashboard follows the account entry permissions', async () => {
    setUser(user('agent'), false)
    expect(hasPermission('contact_manage')).toBe(true) // a plain agent: the agent's defaults
    expect(hasPermission('report_manage')).toBe(false)
    setUser(roleAgent(['conversation_participating_manage']), false)
    expect(hasPermission('contact_manage')).toBe(false)
    globalThis.fetch = vi.fn(async () => new Response('[]'))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/app/accounts/1/contacts')
    expect(router.currentRoute.value.name).toBe('conversations')
    setUser(roleAgent(['contact_manage']), false)
    await router.push('/app/accounts/1/contacts')
    expect(router.currentRoute.value.name).toBe('contacts')
    await router.push('/app/accounts/1/settings/roles')
    expect(router.currentRoute.value.name).toBe('settings-canned') // administrators only
    setUser(user('administrator'), false)
    expect(hasPermission('knowledge_base_manage')).toBe(true)
    expect(accountEndpoints(1).customRoles(3)).toBe('/api/v1/accounts/1/custom_roles/3')
  })
})
