import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import DashboardMessage from '../src/dashboard/components/MessageItem.vue'

describe('email messages', () => {
  it('folds the quoted history away, collapsed and as plain text', () => {
    const quoted = 'On Tue, Support wrote:\n> <img src=x onerror=alert(1)>'
    const w = mount(DashboardMessage, {
      props: { message: { id: 4, content: 'Thanks!', message_type: 0, 
        content_attributes: { email: { text_content: { reply: 'Thanks!', quoted } } } } },
    })
    const fold = w.get('[data-testid="message-quoted"]')
    expect(fold.element.tagName).toBe('DETAILS')
    expect(fold.attributes('open')).toBeUndefined()
    expect(fold.get('pre').text()).toBe(quoted)
    expect(fold.find('img').exists()).toBe(false) // shown as text, never as markup
    expect(w.get('.msg-bubble').text()).toBe('Thanks!')
  })

  it('shows no fold for messages without a quote', () => {
    const w = mount(DashboardMessage, { props: { message: { id: 5, content: 'hi', message_type: 0 } } })
    expect(w.find('[data-testid="message-quoted"]').exists()).toBe(false)
  })
})
