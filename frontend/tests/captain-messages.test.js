import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import MessageItem from '../src/dashboard/components/MessageItem.vue'

const base = { id: 1, content: 'Refunds take 5 days.', message_type: 1, created_at: 1700000000, private: false, status: 'sent', attachments: [], content_attributes: {} }

describe('Captain in the conversation view', () => {
  it('marks Captain’s messages with a badge beside the assistant’s name', () => {
    const w = mount(MessageItem, { props: { message: { ...base, sender_type: 'captain_assistant', sender_id: 3, sender: { id: 3, name: 'Ava', type: 'captain_assistant' } } } })
    expect(w.get('.msg-sender').text()).toBe('Ava')
    expect(w.get('[data-testid="message-captain-badge"]').text()).toBe('Captain')
    expect(w.get('[data-testid="message"]').attributes('data-captain')).toBe('true')
  })

  it('an agent’s or an agent bot’s message has no badge', () => {
    for (const message of [
      { ...base, sender_type: 'agent', sender_id: 3, sender: { id: 3, name: 'Ada', type: 'user' } },
      { ...base, sender_type: 'agent_bot', sender_id: 3, sender: { id: 3, name: 'Bot', type: 'agent_bot' } },
    ]) {
      const w = mount(MessageItem, { props: { message } })
      expect(w.find('[data-testid="message-captain-badge"]').exists()).toBe(false)
      expect(w.get('[data-testid="message"]').attributes('data-captain')).toBeUndefined()
    }
  })

  it('a handoff’s activity message shows its reason in words', () => {
    const w = mount(MessageItem, { props: { message: { ...base, message_type: 2, content: 'Captain handed the conversation to the team', content_attributes: { captain_handoff: { reason: 'low_confidence', reason_text: 'no approved knowledge answers the question well enough', detail: 'best match 0.31 (threshold 0.55)', assistant_id: 3, message_id: 9 } } } } })
    const reason = w.get('[data-testid="message-handoff-reason"]')
    expect(reason.text()).toBe('Reason: No approved knowledge matched the question well enough.')
    expect(reason.attributes('data-reason')).toBe('low_confidence')
    expect(reason.attributes('title')).toBe('best match 0.31 (threshold 0.55)')
    const plain = mount(MessageItem, { props: { message: { ...base, message_type: 2, content: 'Conversation was resolved' } } })
    expect(plain.find('[data-testid="message-handoff-reason"]').exists()).toBe(false)
  })
})
