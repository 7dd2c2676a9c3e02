import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { clearSession } from '../src/dashboard/session.js'
import NotificationSettings from '../src/dashboard/settings/NotificationSettings.vue'
import { mountAt, user } from './screen.js'

const PATH = '/api/v1/accounts/1/notification_settings'
const TYPES = ['conversation_creation', 'conversation_assignment', 'conversation_mention',
  'assigned_conversation_new_message', 'participating_conversation_new_message']

function settings(email, push) {
  return {
    id: 9, user_id: 2, account_id: 1,
    all_email_flags: TYPES.map((t) => 'email_' + t), selected_email_flags: email,
    all_push_flags: TYPES.map((t) => 'push_' + t), selected_push_flags: push,
  }
}

const mountScreen = (routes) => mountAt(NotificationSettings, '/app/accounts/1/settings/notifications', routes, user('agent', 'Aaron'))

describe('notification settings screen', () => {
  afterEach(() => {
    clearSession()
    vi.restoreAllMocks()
  })

  it('shows the stored flags and saves the ticked ones as Chatwoot flag names', async () => {
    let stored = settings(['email_conversation_assignment'], ['push_conversation_assignment', 'push_conversation_mention'])
    const { w, calls, router } = await mountScreen({
      ['GET ' + PATH]: () => [200, stored],
      ['PATCH ' + PATH]: (b) => {
        stored = settings(b.notification_settings.selected_email_flags, b.notification_settings.selected_push_flags)
        return [200, stored]
      },
    })
    // An agent reaches the screen (it is not an administrators' one).
    expect(router.currentRoute.value.name).toBe('settings-notifications')
    expect(w.findAll('[data-testid^="notification-type-"]')).toHaveLength(8) // with the three SLA misses
    expect(w.get('[data-testid="email-conversation_assignment"]').element.checked).toBe(true)
    expect(w.get('[data-testid="email-conversation_mention"]').element.checked).toBe(false)
    expect(w.get('[data-testid="push-conversation_mention"]').element.checked).toBe(true)
    expect(w.get('[data-testid="push-conversation_creation"]').element.checked).toBe(false)

    await w.get('[data-testid="push-conversation_creation"]').setValue(true)
    await w.get('[data-testid="email-conversation_assignment"]').setValue(false)
    await w.get('[data-testid="notification-settings-form"]').trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')
    expect(patch.body).toEqual({ notification_settings: {
      selected_email_flags: [],
      selected_push_flags: ['push_conversation_creation', 'push_conversation_assignment', 'push_conversation_mention'],
    } })
    expect(w.find('[data-testid="notification-settings-saved"]').exists()).toBe(true)
    expect(w.get('[data-testid="push-conversation_creation"]').element.checked).toBe(true)
  })

  it('shows the server refusal and keeps the boxes as ticked', async () => {
    const { w } = await mountScreen({
      ['GET ' + PATH]: () => [200, settings([], [])],
      ['PATCH ' + PATH]: () => [422, { error: 'Unknown notification flags: push_x' }],
    })
    await w.get('[data-testid="push-conversation_mention"]').setValue(true)
    await w.get('[data-testid="notification-settings-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="notification-settings-error"]').text()).toContain('Unknown notification flags')
    expect(w.find('[data-testid="notification-settings-saved"]').exists()).toBe(false)
    expect(w.get('[data-testid="push-conversation_mention"]').element.checked).toBe(true)
  })

  it('a load failure is shown, not a form', async () => {
    const { w } = await mountScreen({ ['GET ' + PATH]: () => [500, { error: 'Boom' }] })
    expect(w.find('[data-testid="notification-settings-form"]').exists()).toBe(false)
    expect(w.get('[role="alert"]').text()).toContain('Boom')
  })
})
