import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { computed, defineComponent, h, reactive } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { bindShortcuts, helpOpen, isEditable, neighbour, shortcutFor } from '../src/dashboard/shortcuts.js'
import AppShell from '../src/dashboard/components/AppShell.vue'
import Inbox from '../src/dashboard/views/Inbox.vue'
import { inbox } from '../src/dashboard/current.js'

function el(html) {
  const wrap = document.createElement('div')
  wrap.innerHTML = html
  return wrap.firstElementChild
}
const ev = (key, target = document.body, extra = {}) => ({ key, target, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...extra })

describe('shortcut keys', () => {
  it('maps single keys to actions', () => {
    expect(['r', 'n', 'e', 'j', 'k'].map((k) => shortcutFor(ev(k)))).toEqual(['reply', 'note', 'resolve', 'next', 'prev'])
    expect(shortcutFor(ev('?', document.body, { shiftKey: true }))).toBe('help')
    expect(shortcutFor(ev('x'))).toBe(null)
    expect(shortcutFor(ev('Enter'))).toBe(null)
  })

  it('ignores modifiers, IME composition and handled events', () => {
    expect(shortcutFor(ev('r', document.body, { ctrlKey: true }))).toBe(null)
    expect(shortcutFor(ev('r', document.body, { metaKey: true }))).toBe(null)
    expect(shortcutFor(ev('e', document.body, { altKey: true }))).toBe(null)
    expect(shortcutFor(ev('R', document.body, { shiftKey: true }))).toBe(null)
    expect(shortcutFor(ev('r', document.body, { isComposing: true }))).toBe(null)
    expect(shortcutFor(ev('r', document.body, { defaultPrevented: true }))).toBe(null)
  })

  it('never fires while typing in a field', () => {
    for (const html of ['<input>', '<input type="search">', '<textarea></textarea>', '<select></select>', '<div contenteditable="true"></div>']) {
      const target = el(html)
      expect(isEditable(target)).toBe(true)
      expect(shortcutFor(ev('e', target))).toBe(null)
    }
    // Buttons and checkboxes are not text fields.
    expect(shortcutFor(ev('e', el('<button>Resolve</button>')))).toBe('resolve')
    expect(shortcutFor(ev('j', el('<input type="checkbox">')))).toBe('next')
  })

  it('finds the next / previous conversation without wrapping', () => {
    expect(neighbour([5, 4, 3], 4, 1)).toBe(3)
    expect(neighbour([5, 4, 3], 4, -1)).toBe(5)
    expect(neighbour([5, 4, 3], 3, 1)).toBe(null)
    expect(neighbour([5, 4, 3], 5, -1)).toBe(null)
    expect(neighbour([5, 4, 3], null, 1)).toBe(5)
    expect(neighbour([5, 4, 3], 99, -1)).toBe(5)
    expect(neighbour([], 1, 1)).toBe(null)
  })

  it('binds to the document, prevents the default of keys it uses, and unbinds', () => {
    const reply = vi.fn()
    const next = vi.fn(() => false)
    const unbind = bindShortcuts({ reply, next })
    const press = (key, target = document.body) => {
      const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
      target.dispatchEvent(e)
      return e
    }
    expect(press('r').defaultPrevented).toBe(true)
    expect(reply).toHaveBeenCalledTimes(1)
    expect(press('j').defaultPrevented).toBe(false) // the handler returned false
    expect(press('e').defaultPrevented).toBe(false) // no handler
    const area = document.body.appendChild(document.createElement('textarea'))
    press('r', area)
    expect(reply).toHaveBeenCalledTimes(1)
    area.remove()
    unbind()
    press('r')
    expect(reply).toHaveBeenCalledTimes(1)
  })
})

// The conversations screen with a fake inbox store: the keys drive the real components.
function fakeStore() {
  const conv = (id, status = 'open') => ({ id, status, inbox_id: 1, labels: [], priority: null, messages: [], meta: { sender: { id: 100 + id, name: 'C' + id }, assignee: null } })
  const state = reactive({
    conversations: { 1: conv(1), 2: conv(2), 3: conv(3, 'resolved') },
    messages: { 1: [], 2: [], 3: [] },
    hasOlder: {},
    typing: {},
    agents: [],
    presence: {},
    contactPresence: {},
    inboxes: {},
    labels: [],
    loadingOlder: false,
    status: 'all',
    tab: 'all',
    counts: {},
    connection: 'open',
  })
  return {
    state,
    list: computed(() => [state.conversations[3], state.conversations[2], state.conversations[1]]),
    open: vi.fn(async () => {}),
    markRead: vi.fn(),
    loadOlder: vi.fn(async () => 0),
    loadMore: vi.fn(),
    setFilter: vi.fn(),
    availabilityOf: () => 'offline',
    typing: vi.fn(async () => {}),
    searchCanned: vi.fn(async () => []),
    loadLabels: vi.fn(async () => []),
    setLabels: vi.fn(),
    setPriority: vi.fn(),
    retry: vi.fn(),
    send: vi.fn(async () => true),
    toggleStatus: vi.fn(async (id, status) => {
      state.conversations[id].status = status
    }),
  }
}

describe('shortcuts on the conversations screen', () => {
  // The screens load what they show (notifications, counts): nothing answers in a unit test.
  beforeEach(() => vi.stubGlobal('fetch', vi.fn(async () => new Response('[]'))))
  afterEach(() => {
    vi.unstubAllGlobals()
    inbox.value = null
    document.body.innerHTML = ''
  })

  async function setup(path) {
    const store = fakeStore()
    inbox.value = store
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [{ path: '/app/accounts/:accountId(\\d+)/conversations/:conversationId(\\d+)?', component: Inbox }],
    })
    router.push(path)
    await router.isReady()
    const Shell = defineComponent((_, { slots }) => () => h('div', slots.default({ store })))
    const App = defineComponent(() => () => h(Shell, null, { default: () => h(Inbox) }))
    const w = mount(App, { global: { plugins: [router], stubs: { AppShell: Shell } }, attachTo: document.body })
    await flushPromises()
    const press = async (key, target = document.activeElement || document.body, extra = {}) => {
      const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...extra })
      target.dispatchEvent(e)
      await flushPromises()
      return e
    }
    return { w, store, router, press }
  }

  it('r / n focus the reply box in reply / note mode; e resolves; j / k move through the list', async () => {
    const { w, store, router, press } = await setup('/app/accounts/1/conversations/2')
    const box = () => w.get('[data-testid="reply-input"]').element
    await press('n', document.body)
    expect(document.activeElement).toBe(box())
    expect(w.get('[data-testid="private-note-toggle"]').attributes('aria-pressed')).toBe('true')
    // Typing in the box: the letters are text, not shortcuts.
    await press('e')
    expect(store.toggleStatus).not.toHaveBeenCalled()
    box().blur()
    await press('r', document.body)
    expect(document.activeElement).toBe(box())
    expect(w.get('[data-testid="private-note-toggle"]').attributes('aria-pressed')).toBe('false')
    box().blur()

    const e = await press('e', document.body)
    expect(e.defaultPrevented).toBe(true)
    expect(store.toggleStatus).toHaveBeenCalledWith(2, 'resolved')
    await press('e', document.body) // already resolved: nothing
    expect(store.toggleStatus).toHaveBeenCalledTimes(1)

    await press('j', document.body) // list order is 3, 2, 1
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/conversations/1')
    await press('j', document.body) // the last one: stays
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/conversations/1')
    await press('k', document.body)
    await press('k', document.body)
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/conversations/3')
    w.unmount()
  })

  it('j opens the first conversation when none is open; any shortcut closes the help', async () => {
    const { w, router, press } = await setup('/app/accounts/1/conversations')
    await press('e', document.body) // nothing open: nothing to resolve
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/conversations')
    helpOpen.value = true
    await press('j', document.body)
    expect(helpOpen.value).toBe(false)
    expect(router.currentRoute.value.fullPath).toBe('/app/accounts/1/conversations/3')
    w.unmount()
  })
})

describe('the shortcut help', () => {
  // The screens load what they show (notifications, counts): nothing answers in a unit test.
  beforeEach(() => vi.stubGlobal('fetch', vi.fn(async () => new Response('[]'))))
  afterEach(() => {
    vi.unstubAllGlobals()
    helpOpen.value = false
    document.body.innerHTML = ''
  })

  it('? toggles it on any page, the sidebar button opens it, Escape closes it and gives focus back', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
    router.push('/app/x')
    await router.isReady()
    const w = mount(AppShell, { global: { plugins: [router] }, attachTo: document.body })
    const press = async (key, target = document.activeElement || document.body, extra = {}) => {
      target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...extra }))
      await flushPromises()
    }
    await press('?', document.body, { shiftKey: true })
    const help = w.find('[data-testid="shortcut-help"]')
    expect(help.exists()).toBe(true)
    expect(help.attributes('role')).toBe('dialog')
    expect(help.text()).toContain('Resolve the open conversation')
    expect(document.activeElement).toBe(w.get('[data-testid="shortcut-help-close"]').element)
    await press('?', document.body, { shiftKey: true })
    expect(w.find('[data-testid="shortcut-help"]').exists()).toBe(false)

    const button = w.get('[data-testid="shortcut-help-button"]')
    button.element.focus()
    await button.trigger('click')
    expect(w.find('[data-testid="shortcut-help"]').exists()).toBe(true)
    await press('Escape')
    expect(w.find('[data-testid="shortcut-help"]').exists()).toBe(false)
    expect(document.activeElement).toBe(button.element)
    // Typing a "?" in a field is just text.
    const input = document.body.appendChild(document.createElement('input'))
    await press('?', input, { shiftKey: true })
    expect(w.find('[data-testid="shortcut-help"]').exists()).toBe(false)
    w.unmount()
  })
})
