import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import WidgetBubble from '../src/widget/components/MessageBubble.vue'
import DashboardMessage from '../src/dashboard/components/MessageItem.vue'
import { safeUrl, segments } from '../src/shared/text.js'

const XSS = '<img src=x onerror=alert(1)>'
const SCRIPT = '<script>alert(2)</script><b>bold</b>'

describe('message content is rendered as text', () => {
  for (const [name, component, extra] of [
    ['widget bubble', WidgetBubble, {}],
    ['dashboard message', DashboardMessage, { private: false }],
  ]) {
    it(name + ' shows markup literally', () => {
      for (const type of [0, 1, 2]) {
        const w = mount(component, { props: { message: { id: 1, content: XSS + ' ' + SCRIPT, message_type: type, created_at: 1700000000, sender: { name: '<i>Eve</i>', avatar_url: 'javascript:alert(3)' }, ...extra } } })
        expect(w.text()).toContain(XSS)
        expect(w.text()).toContain(SCRIPT)
        expect(w.find('img[src="x"]').exists()).toBe(false)
        expect(w.find('script').exists()).toBe(false)
        expect(w.find('b').exists()).toBe(false)
        expect(w.find('i:not(.presence)').exists()).toBe(false)
        expect(w.html()).not.toContain('javascript:')
        w.unmount()
      }
    })
  }

  it('links only http(s) URLs, as anchors with safe rel', () => {
    const w = mount(WidgetBubble, {
      props: { message: { id: 2, content: 'see https://example.com/a?b=1. or javascript:alert(1) or <a href="https://evil">x</a>', message_type: 1, sender: { name: 'A' } } },
    })
    const links = w.findAll('a')
    expect(links).toHaveLength(1) // "https://evil" has no dot: left as text
    expect(links[0].attributes('href')).toBe('https://example.com/a?b=1')
    expect(links[0].attributes('rel')).toContain('noopener')
    expect(w.text()).toContain('<a href="https://evil">x</a>')
  })

  it('marks private notes and failed messages for the browser tests', async () => {
    const w = mount(DashboardMessage, { props: { message: { id: 5, content: 'note', message_type: 1, private: true, sender: { name: 'Agent' } } } })
    const el = w.get('[data-testid="message"]')
    expect(el.attributes('data-private')).toBe('true')
    expect(el.attributes('data-message-id')).toBe('5')
    expect(w.text()).toContain('Private note')

    const f = mount(WidgetBubble, { props: { message: { id: null, echo_id: 'e1', content: 'hi', message_type: 0, status: 'failed' } } })
    await f.get('[data-testid="widget-retry"]').trigger('click')
    expect(f.emitted('retry')[0]).toEqual(['e1'])
  })

  it('segments and safeUrl keep only http(s)', () => {
    expect(segments('a http://x.io/b, c')).toEqual([{ text: 'a ' }, { text: 'http://x.io/b', href: 'http://x.io/b' }, { text: ', c' }])
    expect(safeUrl('javascript:alert(1)')).toBe('')
    expect(safeUrl('data:image/svg+xml,<svg/>')).toBe('')
    expect(safeUrl('https://cdn.example/a.png')).toBe('https://cdn.example/a.png')
  })
})
