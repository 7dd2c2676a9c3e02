import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { h } from 'vue'
import { fakeServer, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import PopMenu from '../src/dashboard/components/PopMenu.vue'
import MacroMenu from '../src/dashboard/components/MacroMenu.vue'

afterEach(() => {
  clearSession()
  document.body.innerHTML = ''
})

function mountPop(props = {}) {
  return mount(PopMenu, {
    props: { label: 'Things', ariaLabel: 'Things', buttonTestid: 'b', menuTestid: 'm', ...props },
    slots: {
      default: ({ close }) => h('button', { class: 'menu-item', 'data-testid': 'item', onClick: close }, 'One'),
      after: () => h('span', { 'data-testid': 'after' }, 'beside'),
    },
    attachTo: document.body,
  })
}

describe('PopMenu', () => {
  it('opens on its button (saying so), emits open each time, and closes on a choice', async () => {
    const wrapper = mountPop()
    const button = wrapper.get('[data-testid="b"]')
    expect(button.attributes('aria-expanded')).toBe('false')
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(false)
    await button.trigger('click')
    expect(button.attributes('aria-expanded')).toBe('true')
    expect(wrapper.get('[data-testid="m"]').attributes()).toMatchObject({ role: 'menu', 'aria-label': 'Things' })
    expect(wrapper.get('[data-testid="m"]').classes()).toContain('below-end')
    await wrapper.get('[data-testid="item"]').trigger('click')
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(false)
    await button.trigger('click')
    await button.trigger('click') // the button again closes it
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(false)
    expect(wrapper.emitted('open')).toHaveLength(2)
    expect(wrapper.get('[data-testid="after"]').text()).toBe('beside') // shown open or not
  })

  it('closes on a click elsewhere or Escape, not on a click inside', async () => {
    const wrapper = mountPop({ placement: 'above-start' })
    await wrapper.get('[data-testid="b"]').trigger('click')
    expect(wrapper.get('[data-testid="m"]').classes()).toContain('above-start')
    wrapper.get('[data-testid="m"]').element.click()
    await flushPromises()
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(true)
    document.body.click()
    await flushPromises()
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(false)
    await wrapper.get('[data-testid="b"]').trigger('click')
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))
    await flushPromises()
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(false)
  })

  it('a disabled menu does not open; unmounting stops listening to the page', async () => {
    const removed = vi.spyOn(document, 'removeEventListener')
    const wrapper = mountPop({ disabled: true })
    await wrapper.get('[data-testid="b"]').trigger('click')
    expect(wrapper.find('[data-testid="m"]').exists()).toBe(false)
    wrapper.unmount()
    expect(removed.mock.calls.map((c) => c[0]).sort()).toEqual(['click', 'keydown'])
    removed.mockRestore()
  })
})

describe('MacroMenu on PopMenu', () => {
  it('loads the macros when opened, runs one on the conversation, closes and says so', async () => {
    setUser(user('agent'), false)
    const server = fakeServer({
      'GET /api/v1/accounts/1/macros': () => [200, { payload: [{ id: 4, name: 'Close as spam' }] }],
      'POST /api/v1/accounts/1/macros/4/execute': () => [200, { payload: { skipped: [] } }],
      'GET /api/v1/accounts/1/conversations/5': () => [200, { id: 5, status: 'resolved' }],
    })
    globalThis.fetch = server.fetchImpl
    const store = { upsertConversation: vi.fn() }
    const wrapper = mount(MacroMenu, { props: { store, accountId: 1, conversationId: 5 }, attachTo: document.body })
    await wrapper.get('[data-testid="macros-button"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="macro-item"][data-name="Close as spam"]').trigger('click')
    await flushPromises()
    expect(server.calls[1]).toMatchObject({ method: 'POST', body: { conversation_ids: [5] } })
    expect(store.upsertConversation).toHaveBeenCalledWith({ id: 5, status: 'resolved' })
    expect(wrapper.find('[data-testid="macros-menu"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="macro-note"]').text()).toBe('Close as spam ran.')
  })
})
