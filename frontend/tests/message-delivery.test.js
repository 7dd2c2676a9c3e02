import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import DashboardMessage from '../src/dashboard/components/MessageItem.vue'

describe('dashboard message delivery state', () => {
  it('shows the channel’s reason when a stored reply was not delivered', () => {
    const w = mount(DashboardMessage, {
      props: { message: { id: 9, content: 'On it', message_type: 1, status: 'failed', sender: { name: 'Agent' },
        content_attributes: { external_error: 'Provider answered 403: Forbidden: bot was blocked by the user' } } },
    })
    const marker = w.get('[data-testid="message-delivery-failed"]')
    expect(marker.text()).toBe('Not delivered: Provider answered 403: Forbidden: bot was blocked by the user')
    expect(w.find('[data-testid="message-retry"]').exists()).toBe(false) // nothing to resend from the browser
    expect(w.get('.msg-bubble').classes()).toContain('failed')
  })

  it('asks the server to send a stored reply again (delivery unknown included)', async () => {
    const w = mount(DashboardMessage, {
      props: { message: { id: 9, content: 'On it', message_type: 1, status: 'failed', sender: { name: 'Agent' },
        content_attributes: { external_error: 'Delivery unknown: ...', delivery_unknown: true } } },
    })
    await w.get('[data-testid="message-resend"]').trigger('click')
    expect(w.emitted('resend')[0]).toEqual([9])
  })

  it('offers no resend for an incoming message or a note', () => {
    for (const message of [{ id: 4, content: 'x', message_type: 0, status: 'failed' },
      { id: 5, content: 'x', message_type: 1, private: true, status: 'failed' }]) {
      expect(mount(DashboardMessage, { props: { message } }).find('[data-testid="message-resend"]').exists()).toBe(false)
    }
  })

  it('keeps Retry for a reply the browser could not post', async () => {
    const w = mount(DashboardMessage, {
      props: { message: { echo_id: 'e7', content: 'hi', message_type: 1, status: 'failed', error: 'Network error' } },
    })
    expect(w.text()).toContain('Not sent: Network error.')
    await w.get('[data-testid="message-retry"]').trigger('click')
    expect(w.emitted('retry')[0]).toEqual(['e7'])
  })

  it('shows the time, not a marker, once sent', () => {
    const w = mount(DashboardMessage, { props: { message: { id: 3, content: 'ok', message_type: 1, status: 'read', created_at: 1700000000 } } })
    expect(w.find('[data-testid="message-delivery-failed"]').exists()).toBe(false)
    expect(w.find('time').exists()).toBe(true)
  })
})
