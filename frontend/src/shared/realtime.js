// Parley's realtime client, shared by the widget and the dashboard (keep it tiny).
//
// Server -> client frames: {"event", "data", "id" (event uuid), "seq" (per account, increasing)}.
// Client -> server frames: {"action":"heartbeat"} every 20 s, and after every (re)connect
// {"action":"resume","since":<last seq applied, or 0>}; the server replays what we missed and
// ends with {"event":"resume.done","seq":N}.
//
// Frames are applied idempotently: a frame whose id was already seen is dropped. A lower
// seq is NOT dropped: two publishers can deliver out of order, and the server's resume
// overlaps on purpose; `lastSeq` is the highest seq seen, which the next resume starts from. Closed sockets reconnect with capped exponential
// backoff (with jitter); the backoff resets once a connection has opened.
//
// A resume the server refuses ({"event":"error","retry_after":s}, its per-socket budget, or a
// concurrent frame) is sent again after retry_after: until a resume.done, frames that were
// published before this socket was registered are missing.
//
// {"event":"connection.revoked","reason"} comes just before the server closes the socket
// (its user lost the rights it was opened with, or it flooded): it goes to onRevoked, and
// the owner closes the client when reconnecting with the same credential would be refused.

const SEEN_LIMIT = 500

export function createRealtime(options) {
  const {
    url, // full ws:// or wss:// URL including its auth query string
    onEvent, // (event, data, frame) => void
    onStatus = () => {}, // ('connecting' | 'open' | 'closed') => void
    onResumed = () => {}, // (seq) => void, after each resume.done
    onRevoked = () => {}, // (reason) => void, before the server closes the socket
    heartbeatMs = 20000,
    minDelay = 1000,
    maxDelay = 30000,
    WebSocketImpl = globalThis.WebSocket,
    random = Math.random,
  } = options
  let socket = null
  let lastSeq = options.since || 0
  let attempts = 0
  let timer = null
  let beat = null
  let resumeTimer = null
  let resuming = false // a resume is sent and its resume.done has not come yet
  let stopped = false
  const seen = new Set()

  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame))
  }

  function remember(id) {
    seen.add(id)
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value)
  }

  function handle(raw) {
    let frame
    try {
      frame = JSON.parse(raw)
    } catch {
      return
    }
    if (!frame || typeof frame.event !== 'string') return
    if (frame.event === 'pong') return
    if (frame.event === 'connection.revoked') {
      onRevoked(typeof frame.reason === 'string' ? frame.reason : '')
      return
    }
    if (frame.event === 'error' && resuming && typeof frame.retry_after === 'number') {
      clearTimeout(resumeTimer)
      resumeTimer = setTimeout(resume, Math.max(1, frame.retry_after) * 1000)
      return
    }
    if (frame.event === 'resume.done') {
      resuming = false
      if (typeof frame.seq === 'number' && frame.seq > lastSeq) lastSeq = frame.seq
      onResumed(lastSeq)
      return
    }
    if (frame.id != null) {
      if (seen.has(frame.id)) return
      remember(frame.id)
    }
    if (typeof frame.seq === 'number' && frame.seq > lastSeq) lastSeq = frame.seq
    try {
      onEvent(frame.event, frame.data, frame)
    } catch (err) {
      // One bad handler must not kill the connection.
      if (globalThis.console) console.error('realtime handler failed', err)
    }
  }

  function resume() {
    resuming = true
    send({ action: 'resume', since: lastSeq })
  }

  function connect() {
    if (stopped) return
    clearTimeout(timer)
    onStatus('connecting')
    let ws
    try {
      ws = new WebSocketImpl(url)
    } catch {
      schedule()
      return
    }
    socket = ws
    ws.onopen = () => {
      if (socket !== ws) return
      attempts = 0
      onStatus('open')
      resume()
      clearInterval(beat)
      beat = setInterval(() => send({ action: 'heartbeat' }), heartbeatMs)
    }
    ws.onmessage = (e) => {
      if (socket === ws) handle(e.data)
    }
    ws.onclose = () => {
      if (socket !== ws) return
      socket = null
      clearInterval(beat)
      clearTimeout(resumeTimer)
      onStatus('closed')
      schedule()
    }
    ws.onerror = () => {
      try {
        ws.close()
      } catch {
        /* already closing */
      }
    }
  }

  function schedule() {
    if (stopped) return
    const base = Math.min(maxDelay, minDelay * 2 ** attempts)
    attempts++
    // Full delay plus up to 30% jitter so a fleet of clients doesn't reconnect in lockstep.
    timer = setTimeout(connect, Math.round(base * (1 + 0.3 * random())))
  }

  connect()

  return {
    get lastSeq() {
      return lastSeq
    },
    get connected() {
      return !!socket && socket.readyState === 1
    },
    send,
    close() {
      stopped = true
      clearTimeout(timer)
      clearTimeout(resumeTimer)
      clearInterval(beat)
      const ws = socket
      socket = null
      if (ws) ws.close()
    },
  }
}

// ws(s)://host/ws from the installation's WEBSOCKET_URL, falling back to this page's host.
export function websocketUrl(configured, params) {
  let base = configured
  if (!base) {
    const { protocol, host } = globalThis.location
    base = (protocol === 'https:' ? 'wss://' : 'ws://') + host + '/ws'
  }
  const query = Object.keys(params)
    .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(params[k]))
    .join('&')
  return base + (base.includes('?') ? '&' : '?') + query
}
