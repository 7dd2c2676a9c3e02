// A stand-in WebSocket the tests drive by hand.
export function fakeSockets() {
  const sockets = []
  class FakeWebSocket {
    constructor(url) {
      this.url = url
      this.readyState = 0
      this.sent = []
      sockets.push(this)
    }
    send(data) {
      this.sent.push(JSON.parse(data))
    }
    close() {
      if (this.readyState === 3) return
      this.readyState = 3
      this.onclose && this.onclose({})
    }
    // test helpers
    open() {
      this.readyState = 1
      this.onopen && this.onopen({})
    }
    push(frame) {
      this.onmessage && this.onmessage({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) })
    }
    drop() {
      this.readyState = 3
      this.onclose && this.onclose({})
    }
  }
  return { sockets, FakeWebSocket }
}
