import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createCannedPicker, insertCanned, localMatches, slashQuery } from '../src/dashboard/canned.js'
import ReplyBox from '../src/dashboard/components/ReplyBox.vue'

const R = [
  { id: 1, short_code: 'thanks', content: 'Thank you for reaching out!' },
  { id: 2, short_code: 'refund', content: 'Refunds take 5 days. Thanks for waiting.' },
  { id: 3, short_code: 'hello', content: 'Hi there, how can I help?' },
]
const key = (k, extra = {}) => ({ key: k, shiftKey: false, isComposing: false, preventDefault: vi.fn(), ...extra })

describe('slash query', () => {
  it('is what follows a leading slash, until a space', () => {
    expect(slashQuery('/')).toBe('')
    expect(slashQuery('/thx')).toBe('thx')
    expect(slashQuery('/re-fund.v2')).toBe('re-fund.v2')
    expect(slashQuery('/thx ')).toBe(null)
    expect(slashQuery('hi /thx')).toBe(null)
    expect(slashQuery(' /thx')).toBe(null)
    expect(slashQuery('//')).toBe(null)
    expect(slashQuery('')).toBe(null)
    expect(slashQuery(null)).toBe(null)
  })

  it('inserting replaces the /code with the content, literally', () => {
    expect(insertCanned('/thx', 'Thank you!')).toBe('Thank you!')
    expect(insertCanned('/', 'Costs $& and $1')).toBe('Costs $& and $1')
  })

  it('narrows locally with short-code matches first', () => {
    expect(localMatches(R, 'thank').map((r) => r.id)).toEqual([1, 2])
    expect(localMatches(R, 'HEL').map((r) => r.id)).toEqual([3])
    expect(localMatches(R, '').map((r) => r.id)).toEqual([1, 2, 3])
  })
})

describe('canned response picker', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function setup() {
    const search = vi.fn(async (q) => localMatches(R, q))
    return { search, picker: createCannedPicker({ search, delay: 100 }) }
  }

  it('searches the server for what follows "/" (debounced) and closes on a space', async () => {
    const { search, picker } = setup()
    picker.update('/')
    expect(picker.state.open).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(search).toHaveBeenLastCalledWith('')
    expect(picker.state.items.map((r) => r.id)).toEqual([1, 2, 3])
    picker.update('/t')
    picker.update('/th')
    picker.update('/tha')
    // Meanwhile what is shown is narrowed locally, and nothing was asked yet.
    expect(picker.state.items.map((r) => r.id)).toEqual([1, 2])
    expect(picker.state.loading).toBe(true)
    await vi.advanceTimersByTimeAsync(100)
    expect(search).toHaveBeenCalledTimes(2)
    expect(search).toHaveBeenLastCalledWith('tha')
    expect(picker.state.loading).toBe(false)
    picker.update('/tha ')
    expect(picker.state.open).toBe(false)
    picker.update('plain text')
    expect(picker.state.open).toBe(false)
    expect(search).toHaveBeenCalledTimes(2)
  })

  it('drops an answer for a query that is no longer current', async () => {
    const answers = []
    const search = vi.fn((q) => new Promise((resolve) => answers.push({ q, resolve })))
    const picker = createCannedPicker({ search, delay: 0 })
    picker.update('/ref')
    await vi.advanceTimersByTimeAsync(0)
    picker.update('/hel')
    await vi.advanceTimersByTimeAsync(0)
    answers[1].resolve([R[2]])
    await flushPromises()
    answers[0].resolve([R[1]])
    await flushPromises()
    expect(picker.state.query).toBe('hel')
    expect(picker.state.items).toEqual([R[2]])
  })

  it('arrow keys move (wrapping), Enter and Tab pick, the picker closes', async () => {
    const { picker } = setup()
    picker.update('/')
    await vi.advanceTimersByTimeAsync(0)
    const down = key('ArrowDown')
    expect(picker.keydown(down, '/').handled).toBe(true)
    expect(down.preventDefault).toHaveBeenCalled()
    expect(picker.state.index).toBe(1)
    picker.keydown(key('ArrowDown'), '/')
    picker.keydown(key('ArrowDown'), '/')
    expect(picker.state.index).toBe(0)
    picker.keydown(key('ArrowUp'), '/')
    expect(picker.state.index).toBe(2)
    const enter = key('Enter')
    const result = picker.keydown(enter, '/')
    expect(result).toEqual({ handled: true, item: R[2] })
    expect(enter.preventDefault).toHaveBeenCalled()
    expect(picker.state.open).toBe(false)

    picker.update('/ref')
    await vi.advanceTimersByTimeAsync(100)
    expect(picker.keydown(key('Tab'), '/ref').item).toEqual(R[1])
  })

  it('Enter while searching is swallowed; with no match it is a normal Enter; Shift+Enter is never taken', async () => {
    const { picker } = setup()
    picker.update('/zzz')
    const early = key('Enter')
    expect(picker.keydown(early, '/zzz')).toEqual({ handled: true, item: null })
    expect(early.preventDefault).toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(100)
    expect(picker.state.items).toEqual([])
    const late = key('Enter')
    expect(picker.keydown(late, '/zzz')).toEqual({ handled: false, item: null })
    expect(late.preventDefault).not.toHaveBeenCalled()
    picker.update('/th')
    await vi.advanceTimersByTimeAsync(100)
    expect(picker.keydown(key('Enter', { shiftKey: true }), '/th').handled).toBe(false)
    expect(picker.keydown(key('a'), '/th').handled).toBe(false)
  })

  it('Escape dismisses until the text changes', async () => {
    const { picker } = setup()
    picker.update('/th')
    await vi.advanceTimersByTimeAsync(100)
    expect(picker.keydown(key('Escape'), '/th').handled).toBe(true)
    expect(picker.state.open).toBe(false)
    picker.update('/th')
    expect(picker.state.open).toBe(false)
    picker.update('/tha')
    expect(picker.state.open).toBe(true)
    // Closed, it takes no keys.
    picker.close()
    expect(picker.keydown(key('Enter'), '/tha').handled).toBe(false)
  })

  it('shows a search error instead of options', async () => {
    const picker = createCannedPicker({ search: async () => Promise.reject(Object.assign(new Error('boom'), { status: 500 })), delay: 0 })
    picker.update('/x')
    await vi.advanceTimersByTimeAsync(0)
    expect(picker.state.error).toBe('boom')
    expect(picker.state.loading).toBe(false)
  })
})

describe('reply box with the picker', () => {
  afterEach(() => vi.useRealTimers())
  function mountBox() {
    const store = {
      searchCanned: vi.fn(async (q) => localMatches(R, q)),
      send: vi.fn(async () => true),
      typing: vi.fn(async () => {}),
    }
    const w = mount(ReplyBox, { props: { store, conversationId: 5 }, attachTo: document.body })
    return { w, store }
  }

  it('typing /code lists matches; arrows + Enter insert one; the next Enter sends it', async () => {
    vi.useFakeTimers()
    const { w, store } = mountBox()
    const box = w.get('[data-testid="reply-input"]')
    await box.setValue('/tha')
    await vi.advanceTimersByTimeAsync(200)
    await flushPromises()
    expect(store.searchCanned).toHaveBeenLastCalledWith('tha')
    const options = w.findAll('[data-testid="canned-option"]')
    expect(options.map((o) => o.attributes('data-short-code'))).toEqual(['thanks', 'refund'])
    expect(options[0].attributes('aria-selected')).toBe('true')
    expect(box.attributes('aria-activedescendant')).toBe('canned-option-0')
    await box.trigger('keydown', { key: 'ArrowDown' })
    expect(w.findAll('[data-testid="canned-option"]')[1].attributes('aria-selected')).toBe('true')
    await box.trigger('keydown', { key: 'Enter' })
    expect(store.send).not.toHaveBeenCalled()
    expect(box.element.value).toBe(R[1].content)
    expect(w.find('[data-testid="canned-picker"]').exists()).toBe(false)
    await box.trigger('keydown', { key: 'Enter' })
    expect(store.send).toHaveBeenCalledWith(5, R[1].content, false, [])
    w.unmount()
  })

  it('a click on an option inserts it; focus(mode) switches reply / note', async () => {
    const { w, store } = mountBox()
    const box = w.get('[data-testid="reply-input"]')
    await box.setValue('/hel')
    await new Promise((r) => setTimeout(r, 200))
    await flushPromises()
    await w.get('[data-testid="canned-option"]').trigger('mousedown')
    expect(box.element.value).toBe(R[2].content)
    w.vm.focus('note')
    await flushPromises()
    expect(w.get('[data-testid="private-note-toggle"]').attributes('aria-pressed')).toBe('true')
    expect(document.activeElement).toBe(box.element)
    w.vm.focus('reply')
    await flushPromises()
    expect(w.get('[data-testid="private-note-toggle"]').attributes('aria-pressed')).toBe('false')
    expect(store.send).not.toHaveBeenCalled()
    w.unmount()
  })
})
