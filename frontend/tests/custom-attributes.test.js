import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { clearSession, setUser } from '../src/dashboard/session.js'
import CustomAttributes from '../src/dashboard/settings/CustomAttributes.vue'
import { fakeServer, mountAt, routerAt, user } from './screen.js'

const BASE = '/api/v1/accounts/1/custom_attribute_definitions'
const mountScreen = (routes, role = 'administrator') => mountAt(CustomAttributes, '/app/accounts/1/settings/custom-attributes', routes, user(role))

describe('custom attributes settings', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('lists per model, creates with the derived key, edits and deletes', async () => {
    const items = [{ id: 1, attribute_key: 'plan', attribute_display_name: 'Plan', attribute_display_type: 'text', attribute_model: 'contact_attribute', attribute_values: [] }]
    const { w, calls } = await mountScreen({
      ['GET ' + BASE]: () => [200, items],
      ['POST ' + BASE]: (b) => (b.attribute_key === 'taken' ? [422, { message: 'Attribute key has already been taken' }] : [200, { id: 7, ...b }]),
      ['PATCH ' + BASE + '/7']: (b) => [200, { id: 7, attribute_key: 'order_tier', attribute_model: 'conversation_attribute', ...b }],
      ['DELETE ' + BASE + '/7']: () => [200, {}],
    })
    const keys = () => w.findAll('[data-testid="attribute-row"]').map((r) => r.attributes('data-attribute-key'))
    expect(keys()).toEqual([]) // the contact attribute is on the other tab
    await w.get('[data-testid="attribute-model-contact_attribute"]').trigger('click')
    expect(keys()).toEqual(['plan'])
    await w.get('[data-testid="attribute-model-conversation_attribute"]').trigger('click')

    await w.get('[data-testid="attribute-name"]').setValue('Order tier')
    expect(w.get('[data-testid="attribute-key"]').element.value).toBe('order_tier')
    await w.get('[data-testid="attribute-type"]').setValue('list')
    await w.get('[data-testid="attribute-form"]').trigger('submit')
    expect(w.get('[data-testid="attribute-error"]').text()).toBe('A list needs at least one value.')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    await w.get('[data-testid="attribute-values"]').setValue('gold, silver')
    await w.get('[data-testid="attribute-form"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1).body).toEqual({
      attribute_display_name: 'Order tier',
      attribute_display_type: 'list',
      attribute_description: '',
      attribute_key: 'order_tier',
      attribute_model: 'conversation_attribute',
      attribute_values: ['gold', 'silver'],
    })
    expect(keys()).toEqual(['order_tier'])

    // A key typed by hand stays; the server's refusal is shown.
    await w.get('[data-testid="attribute-key"]').setValue('taken')
    await w.get('[data-testid="attribute-name"]').setValue('Another')
    expect(w.get('[data-testid="attribute-key"]').element.value).toBe('taken')
    await w.get('[data-testid="attribute-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="attribute-error"]').text()).toBe('Attribute key has already been taken')

    await w.get('[data-testid="attribute-edit"]').trigger('click')
    await w.get('[data-testid="attribute-edit-type"]').setValue('text')
    await w.get('[data-testid="attribute-edit-pattern"]').setValue('^[A-Z]+$')
    await w.get('[data-testid="attribute-save"]').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { attribute_display_type: 'text', attribute_values: [], regex_pattern: '^[A-Z]+$', regex_cue: null } })
    expect(w.get('[data-testid="attribute-row"]').text()).toContain('^[A-Z]+$')

    await w.get('[data-testid="attribute-delete"]').trigger('click')
    await w.get('[data-testid="attribute-delete-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'DELETE', path: BASE + '/7' })
    expect(keys()).toEqual([])
  })

  it('is for administrators only', async () => {
    setUser(user('agent'), false)
    const router = await routerAt('/app/accounts/1/settings/custom-attributes', fakeServer({}).fetchImpl)
    expect(router.currentRoute.value.name).toBe('settings-canned')
  })
})
