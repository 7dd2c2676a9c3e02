// sdk.js: the loader a customer's page gets from Chatwoot's embed snippet.
// Plain DOM code (no Vue, no imports at run time): it draws the launcher bubble, creates the
// hidden widget iframe, exposes window.$chatwoot and relays events between page and iframe.
//
// Protocol: every postMessage in either direction is the string "parley-widget:" + JSON of
// {"event": name, ...}. The loader only accepts messages whose origin is baseUrl's origin and
// whose source is its own iframe, and posts only to that origin (so nothing reaches a frame
// that navigated elsewhere). The iframe's "hello" gets the visitor's session ("session");
// $chatwoot calls made before the iframe said "ready" are queued and sent, in order, once it has.
//
// Ongoing campaigns: the iframe hands over their trigger rules ("campaigns": id, URL glob,
// seconds); the loader watches the page's URL (history.pushState/replaceState, popstate,
// hashchange) and, once the first matching campaign not shown before has had its seconds
// on that URL, asks the iframe to show it ("campaign"). The iframe answers "campaign-shown"
// (sender and text), which the loader remembers (this page's localStorage: once per
// visitor) and, with the widget closed, previews next to the bubble (text only).

import { COMMANDS, decode, encode } from '../shared/protocol.js'
import { globMatch } from '../shared/urlGlob.js'

export { decode, encode }

const DEFAULT_COLOR = '#0b7a75'
const COLOR_RE = /^(#[0-9a-f]{3,8}|rgba?\([\d\s.,%]+\)|hsla?\([\d\s.,%deg]+\))$/i

const CSS =
  '.parley-root{--parley-color:' + DEFAULT_COLOR + ';position:fixed;z-index:2147483000;bottom:20px;right:20px;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
  '.parley-root.parley-left{right:auto;left:20px}' +
  '.parley-bubble{display:flex;align-items:center;gap:8px;height:56px;min-width:56px;padding:0 16px;border:0;border-radius:28px;background:var(--parley-color);color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(15,23,42,.22);position:relative;justify-content:center;transition:transform .15s ease}' +
  '.parley-bubble:hover{transform:translateY(-1px)}.parley-bubble:focus-visible{outline:3px solid #fff;box-shadow:0 0 0 6px var(--parley-color)}' +
  '.parley-bubble svg{width:26px;height:26px;flex:none}.parley-bubble .parley-x,.parley-open .parley-bubble .parley-chat{display:none}.parley-open .parley-bubble .parley-x{display:block}' +
  '.parley-label{font-weight:600;white-space:nowrap}.parley-open .parley-label{display:none}' +
  '.parley-badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#d92d20;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}' +
  '.parley-left .parley-badge{right:auto;left:-4px}.parley-open .parley-badge,.parley-badge[hidden],.parley-bubble[hidden]{display:none}' +
  '.parley-frame{position:absolute;bottom:72px;right:0;width:380px;height:min(640px,calc(100vh - 112px));border-radius:16px;overflow:hidden;background:#fff;box-shadow:0 12px 40px rgba(15,23,42,.25);opacity:0;visibility:hidden;transform:translateY(12px);transition:opacity .18s ease,transform .18s ease,visibility 0s .18s}' +
  '.parley-left .parley-frame{right:auto;left:0}' +
  '.parley-open .parley-frame{opacity:1;visibility:visible;transform:none;transition:opacity .18s ease,transform .18s ease}' +
  '.parley-frame iframe{width:100%;height:100%;border:0;display:block;color-scheme:normal}' +
  '.parley-preview{position:absolute;bottom:72px;right:0;width:280px;max-width:calc(100vw - 40px);background:#fff;color:#1f2937;border-radius:14px;box-shadow:0 8px 28px rgba(15,23,42,.2)}' +
  '.parley-left .parley-preview{right:auto;left:0}.parley-preview[hidden],.parley-open .parley-preview{display:none}' +
  '.parley-preview button{border:0;background:none;color:inherit;font:inherit;text-align:left;cursor:pointer}' +
  '.parley-preview>:first-child{width:100%;padding:12px 34px 12px 14px}.parley-preview b{display:block}' +
  '.parley-preview span{display:block;max-height:4.2em;overflow:hidden;overflow-wrap:anywhere}' +
  '.parley-dismiss{position:absolute;top:6px;right:8px}' +
  '@media (max-width:520px){.parley-open .parley-frame{position:fixed;inset:0;width:auto;height:auto;border-radius:0}.parley-open .parley-bubble{display:none}}' +
  '@media (prefers-reduced-motion:reduce){.parley-frame,.parley-bubble{transition:none}}'

const CHAT_ICON =
  '<svg class="parley-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5z"/><path d="M8.5 8.5h7M8.5 11.5h4.5"/></svg>'
const CLOSE_ICON =
  '<svg class="parley-x" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>'

export function install(win) {
  if (win.chatwootSDK && win.chatwootSDK.parley) return win.chatwootSDK
  const doc = win.document
  let started = false
  const sdk = { parley: true, run }
  win.chatwootSDK = sdk
  return sdk

  function emit(name, detail) {
    win.dispatchEvent(new win.CustomEvent(name, { detail }))
  }

  function run(options) {
    if (started) return win.$chatwoot
    options = options || {}
    const settings = win.chatwootSettings || {}
    const token = String(options.websiteToken || '')
    const base = String(options.baseUrl || '').replace(/\/+$/, '')
    let origin
    try {
      origin = new URL(base || '/', win.location.href).origin
    } catch (e) {
      emit('chatwoot:error', { message: 'Invalid baseUrl' })
      return
    }
    if (!token) {
      emit('chatwoot:error', { message: 'websiteToken is required' })
      return
    }
    started = true
    const widgetBase = (base.indexOf('//') > 0 ? base : origin + base) + '/widget'
    let ready = false
    let readyEmitted = false
    let queue = []
    let popout = null

    const params = { website_token: token }
    if (settings.locale) params.locale = settings.locale
    if (settings.darkMode) params.dark_mode = settings.darkMode
    if (settings.showPopoutButton) params.show_popout = '1'
    const query = Object.keys(params)
      .map((k) => k + '=' + encodeURIComponent(params[k]))
      .join('&')

    const style = doc.createElement('style')
    style.textContent = CSS
    doc.head.appendChild(style)

    const box = doc.createElement('div')
    box.className = 'parley-root' + (settings.position === 'left' ? ' parley-left' : '')
    box.id = 'parley-widget'

    const holder = doc.createElement('div')
    holder.className = 'parley-frame'
    const frame = doc.createElement('iframe')
    frame.title = 'Chat window'
    frame.setAttribute('data-testid', 'widget-frame')
    frame.setAttribute('allow', 'clipboard-write')
    // The visitor's session, kept on this (first-party) page for browsers that deny the
    // cross-site iframe its own storage; handed to the iframe by postMessage once it has
    // said hello from Parley's origin (never in its URL, never sent to a server).
    const authKey = 'parley.widget.' + token + '.auth'
    frame.src = widgetBase + '?' + query
    holder.appendChild(frame)

    const bubble = doc.createElement('button')
    bubble.type = 'button'
    bubble.className = 'parley-bubble'
    bubble.setAttribute('data-testid', 'widget-launcher')
    bubble.setAttribute('aria-expanded', 'false')
    const title = settings.launcherTitle || 'Chat with us'
    bubble.setAttribute('aria-label', title)
    bubble.innerHTML = CHAT_ICON + CLOSE_ICON // static markup only, never user data
    if (settings.type === 'expanded_bubble') {
      const label = doc.createElement('span')
      label.className = 'parley-label'
      label.textContent = title
      bubble.appendChild(label)
    }
    const badge = doc.createElement('span')
    badge.className = 'parley-badge'
    badge.setAttribute('data-testid', 'widget-unread-badge')
    badge.hidden = true
    bubble.appendChild(badge)
    bubble.hidden = !!settings.hideMessageBubble
    bubble.addEventListener('click', () => api.toggle())

    // The proactive message of an ongoing campaign, shown while the widget is closed.
    const preview = doc.createElement('div')
    preview.className = 'parley-preview'
    preview.setAttribute('data-testid', 'widget-campaign-preview')
    preview.hidden = true
    const previewOpen = doc.createElement('button')
    previewOpen.type = 'button'
    const who = doc.createElement('b')
    const said = doc.createElement('span')
    previewOpen.append(who, said)
    previewOpen.addEventListener('click', () => setOpen(true))
    const dismiss = doc.createElement('button')
    dismiss.type = 'button'
    dismiss.className = 'parley-dismiss'
    dismiss.setAttribute('aria-label', 'Dismiss')
    dismiss.textContent = '\u00d7'
    dismiss.addEventListener('click', () => (preview.hidden = true))
    preview.append(previewOpen, dismiss)

    box.appendChild(holder)
    box.appendChild(preview)
    box.appendChild(bubble)
    ;(doc.body || doc.documentElement).appendChild(box)

    function post(message) {
      if (frame.contentWindow) frame.contentWindow.postMessage(encode(message), origin)
    }

    function send(message) {
      if (ready) post(message)
      else queue.push(message)
    }

    // ---- ongoing campaigns
    const seenKey = 'parley.widget.' + token + '.campaigns'
    let campaigns = []
    let watched = ''
    let timer
    let hooked = false
    const seen = []

    function shownBefore() {
      try {
        return seen.concat(JSON.parse(win.localStorage.getItem(seenKey) || '[]'))
      } catch (e) {
        return seen
      }
    }

    function watch() {
      const href = win.location.href
      if (href === watched) return
      watched = href
      clearTimeout(timer)
      const done = shownBefore()
      const due = campaigns.find((c) => done.indexOf(c.id) < 0 && globMatch(c.url, href))
      if (due) timer = setTimeout(() => post({ event: 'campaign', id: due.id }), due.time * 1000)
    }

    function watchCampaigns(list) {
      campaigns = (Array.isArray(list) ? list : [])
        .filter((c) => c && Number.isInteger(c.id) && typeof c.url === 'string' && c.time >= 0 && c.time <= 3600)
        .slice(0, 50)
      if (campaigns.length && !hooked) {
        hooked = true
        const history = win.history
        ;['pushState', 'replaceState'].forEach((name) => {
          const original = history[name]
          history[name] = function () {
            const result = original.apply(this, arguments)
            watch()
            return result
          }
        })
        win.addEventListener('popstate', watch)
        win.addEventListener('hashchange', watch)
      }
      watched = ''
      watch()
    }

    function campaignShown(msg) {
      if (!Number.isInteger(msg.id) || shownBefore().indexOf(msg.id) >= 0) return
      seen.push(msg.id)
      try {
        win.localStorage.setItem(seenKey, JSON.stringify(shownBefore().slice(-50)))
      } catch (e) {
        /* storage blocked: once per page */
      }
      if (api.isOpen) return
      who.textContent = String(msg.name || '').slice(0, 80)
      said.textContent = String(msg.text || '').slice(0, 300)
      previewOpen.setAttribute('aria-label', 'Open chat: ' + who.textContent)
      preview.hidden = false
    }

    function setOpen(open) {
      if (open === api.isOpen) return
      api.isOpen = open
      if (open) preview.hidden = true
      box.classList.toggle('parley-open', open)
      bubble.setAttribute('aria-expanded', String(open))
      bubble.setAttribute('aria-label', open ? 'Close chat' : title)
      if (ready) post({ event: 'toggle', open })
      if (open) {
        try {
          frame.focus()
        } catch (e) {
          /* not focusable yet */
        }
      }
      emit(open ? 'chatwoot:opened' : 'chatwoot:closed')
    }

    function setUnread(count) {
      count = Math.max(0, Math.floor(Number(count) || 0))
      badge.hidden = count === 0
      badge.textContent = count > 99 ? '99+' : String(count)
      bubble.setAttribute('aria-label', count ? title + ' (' + count + ' unread)' : title)
    }

    function openPopout(url) {
      if (!popout) return
      const w = popout
      popout = null
      // Only ever navigate the popup to our own widget page.
      w.location.href = typeof url === 'string' && url.indexOf(widgetBase + '?') === 0 ? url : widgetBase + '?' + query + '&popout=1'
    }

    win.addEventListener('message', (e) => {
      if (e.origin !== origin || e.source !== frame.contentWindow) return
      const msg = decode(e.data)
      if (!msg) return
      switch (msg.event) {
        case 'hello': {
          let saved = ''
          try {
            saved = win.localStorage.getItem(authKey) || ''
          } catch (e) {
            /* storage blocked: the iframe's own storage or a per-page session */
          }
          post({ event: 'session', token: saved })
          break
        }
        case 'ready': {
          ready = true
          api.hasLoaded = true
          if (typeof msg.color === 'string' && COLOR_RE.test(msg.color)) box.style.setProperty('--parley-color', msg.color)
          post({ event: 'toggle', open: api.isOpen })
          const pending = queue
          queue = []
          pending.forEach(post)
          if (!readyEmitted) {
            readyEmitted = true
            emit('chatwoot:ready')
          }
          break
        }
        case 'auth':
          if (typeof msg.token === 'string' && msg.token.length <= 4096) {
            try {
              if (msg.token) win.localStorage.setItem(authKey, msg.token)
              else win.localStorage.removeItem(authKey)
            } catch (e) {
              /* storage blocked */
            }
          }
          break
        case 'unread':
          setUnread(msg.count)
          break
        case 'message':
          emit('chatwoot:on-message', msg.message)
          break
        case 'conversation-started':
          emit('chatwoot:on-start-conversation', msg.conversation || {})
          break
        case 'error':
          emit('chatwoot:error', msg.error)
          break
        case 'close':
          setOpen(false)
          break
        case 'popout-url':
          openPopout(msg.url)
          break
        case 'campaigns':
          watchCampaigns(msg.campaigns)
          break
        case 'campaign-shown':
          campaignShown(msg)
          break
      }
    })

    const api = {
      hasLoaded: false,
      isOpen: false,
      toggle(state) {
        setOpen(state === 'open' ? true : state === 'close' ? false : !api.isOpen)
      },
      toggleBubbleVisibility(state) {
        bubble.hidden = state === 'hide' ? true : state === 'show' ? false : !bubble.hidden
      },
      popoutChatWindow() {
        // Open synchronously (we may be inside a click handler), navigate once the iframe
        // has told us the URL that carries the visitor's session.
        popout = win.open('', '_blank', 'width=420,height=680,resizable=yes')
        if (!popout) return
        try {
          popout.opener = null
        } catch (e) {
          /* ignore */
        }
        if (ready) {
          post({ event: 'popout' })
          setTimeout(() => openPopout(), 3000)
        } else openPopout()
        setOpen(false)
      },
      reset() {
        setOpen(false)
        setUnread(0)
        send({ event: 'command', name: 'reset', args: [] })
      },
    }
    COMMANDS.forEach((name) => {
      if (name === 'reset') return
      api[name] = function () {
        send({ event: 'command', name, args: Array.prototype.slice.call(arguments) })
      }
    })
    win.$chatwoot = api
    return api
  }
}
