// WebSocket connection to convened (docs/protocol.md). Emits every server message
// as an event named after its `type`, plus 'open' and 'close'.

export class Signaling extends EventTarget {
  constructor(token) {
    super();
    this.token = token;
    this.ws = null;
    this.welcomed = false;
  }

  url() {
    // Same host and port as the page: convened serves both the client and /ws.
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  connect() {
    this.welcomed = false;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'hello', token: this.token, client: 'convene-web' }));
      this.dispatchEvent(new CustomEvent('open'));
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      if (msg.type === 'welcome') this.welcomed = true;
      this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dispatchEvent(new CustomEvent('close', { detail: { code: ev.code, reason: ev.reason } }));
    };
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  close() {
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
  }
}
