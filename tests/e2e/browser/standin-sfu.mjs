// A stand-in media worker that runs in a Chromium page, for testing the browser
// client's SFU path (publish + subscribe sessions, msid mapping, view,
// active-speaker, make-before-break switching) independently of the real worker.
// It speaks the worker's side of docs/protocol.md "Meetings": it answers each
// participant's publish offers and offers every other participant's tracks on that
// participant's subscribe session, with msid "<publisher participant_id> <track id>".
//
// Differences from the real worker, on purpose: it forwards decoded-and-re-encoded
// tracks (a browser cannot forward RTP), so it answers publish offers without
// simulcast (the client then sends one layer), and it plays every received audio
// track out (muted by --mute-audio) so that Chromium keeps encoding it; `view`
// messages are only recorded.

// Runs inside the page (page.evaluate): everything it needs is in its body.
export function standinSfu({ wsUrl, token, meeting }) {
  const state = {
    participantId: null, views: [], errors: [], modes: [], peers: new Map(), published: new Map(),
  };
  window.standin = {
    get participantId() { return state.participantId; },
    get views() { return state.views.slice(); },
    get errors() { return state.errors.slice(); },
    get modes() { return state.modes.slice(); },
    // Per participant: connection states and the tracks forwarded to it.
    get peers() {
      return [...state.peers.values()].map((p) => ({
        pid: p.pid, publish: p.pub.connectionState, subscribe: p.sub.connectionState, forwarded: p.senders.size,
      }));
    },
    speak(pid) {
      send({ type: 'active-speaker', meeting, participant_id: pid });
    },
  };
  const ws = new WebSocket(wsUrl);
  const send = (o) => ws.send(JSON.stringify(o));
  const fail = (where, err) => state.errors.push(`${where}: ${err && err.message ? err.message : err}`);

  function chain(p, which, fn) {
    p[which] = p[which].then(fn).catch((err) => fail(which, err));
    return p[which];
  }

  function sendIce(pid, session, c) {
    if (c && c.candidate) {
      send({ type: 'ice', meeting, to: pid, session, candidate: c.candidate, sdp_mline_index: c.sdpMLineIndex ?? 0, sdp_mid: c.sdpMid ?? undefined });
    }
  }

  function peer(pid) {
    let p = state.peers.get(pid);
    if (p) return p;
    p = {
      pid,
      pub: new RTCPeerConnection(),
      sub: new RTCPeerConnection(),
      pubChain: Promise.resolve(),
      subChain: Promise.resolve(),
      pending: { publish: [], subscribe: [] },
      senders: new Map(), // forwarded track id → RTCRtpSender
    };
    p.pub.onicecandidate = (e) => sendIce(pid, 'publish', e.candidate);
    p.sub.onicecandidate = (e) => sendIce(pid, 'subscribe', e.candidate);
    p.pub.ontrack = (e) => onPublished(pid, e.track, e.streams[0]);
    p.sub.onnegotiationneeded = () => chain(p, 'subChain', () => offerSubscribe(p));
    state.peers.set(pid, p);
    for (const [from, pubd] of state.published) {
      if (from !== pid) for (const t of pubd.tracks) forward(p, from, t);
    }
    return p;
  }

  function forward(p, from, track) {
    if (p.senders.has(track.id)) return;
    p.senders.set(track.id, p.sub.addTrack(track, state.published.get(from).stream));
  }

  function unforward(track) {
    for (const p of state.peers.values()) {
      const s = p.senders.get(track.id);
      if (!s) continue;
      p.senders.delete(track.id);
      if (p.sub.connectionState !== 'closed') p.sub.removeTrack(s);
    }
  }

  function onPublished(pid, track, source) {
    let pubd = state.published.get(pid);
    if (!pubd) {
      pubd = { stream: new MediaStream(), tracks: new Set() };
      state.published.set(pid, pubd);
    }
    pubd.tracks.add(track);
    // Chromium sends a received audio track on only while something plays it out.
    if (track.kind === 'audio') {
      const out = new Audio();
      out.srcObject = new MediaStream([track]);
      out.play().catch((err) => fail('audio playout', err));
    }
    // The publisher removing a track (screen share stopped) takes it off its stream.
    if (source) {
      source.addEventListener('removetrack', (e) => {
        if (e.track !== track) return;
        pubd.tracks.delete(track);
        unforward(track);
      });
    }
    for (const p of state.peers.values()) if (p.pid !== pid) forward(p, pid, track);
  }

  async function offerSubscribe(p) {
    if (p.sub.signalingState !== 'stable' || p.sub.connectionState === 'closed') return;
    await p.sub.setLocalDescription();
    // msid "<publisher participant_id> <track id>": the local stream ids are
    // replaced by the publishers' ids in what the subscriber sees.
    let sdp = p.sub.localDescription.sdp;
    for (const [from, pubd] of state.published) sdp = sdp.split(pubd.stream.id).join(from);
    send({ type: 'sdp', meeting, to: p.pid, session: 'subscribe', sdp_type: 'offer', sdp });
  }

  async function addIce(pc, list, init) {
    if (!pc.remoteDescription) {
      list.push(init);
      return;
    }
    await pc.addIceCandidate(init);
  }

  async function flush(pc, list) {
    while (list.length) await pc.addIceCandidate(list.shift());
  }

  function removePeer(pid) {
    const p = state.peers.get(pid);
    const pubd = state.published.get(pid);
    state.published.delete(pid);
    if (pubd) for (const t of pubd.tracks) unforward(t);
    if (p) {
      state.peers.delete(pid);
      p.pub.close();
      p.sub.close();
    }
  }

  ws.onopen = () => send({ type: 'hello', token, client: 'standin-worker' });
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    switch (msg.type) {
      case 'welcome':
        send({ type: 'join', meeting });
        break;
      case 'joined':
        state.participantId = msg.participant_id;
        for (const p of msg.participants || []) peer(p.participant_id);
        break;
      case 'participant-joined':
        peer(msg.participant.participant_id);
        break;
      case 'participant-left':
        removePeer(msg.participant_id);
        break;
      case 'view':
        state.views.push({ from: msg.from, participant_id: msg.participant_id, track: msg.track, width: msg.width, height: msg.height });
        break;
      case 'mode':
        state.modes.push(msg.mode);
        break;
      case 'error':
        state.errors.push(`server: ${msg.code} ${msg.message}`);
        break;
      case 'sdp': {
        const p = peer(msg.from);
        if (msg.session === 'publish' && msg.sdp_type === 'offer') {
          chain(p, 'pubChain', async () => {
            // One layer: a page cannot forward simulcast RTP as it is.
            const sdp = msg.sdp.split('\r\n').filter((l) => !/^a=(simulcast|rid):/.test(l)).join('\r\n');
            await p.pub.setRemoteDescription({ type: 'offer', sdp });
            await flush(p.pub, p.pending.publish);
            await p.pub.setLocalDescription();
            send({ type: 'sdp', meeting, to: msg.from, session: 'publish', sdp_type: 'answer', sdp: p.pub.localDescription.sdp });
          });
        } else if (msg.session === 'subscribe' && msg.sdp_type === 'answer') {
          chain(p, 'subChain', async () => {
            await p.sub.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
            await flush(p.sub, p.pending.subscribe);
          });
        }
        break;
      }
      case 'ice': {
        const p = peer(msg.from);
        if (!msg.candidate) break;
        const init = { candidate: msg.candidate, sdpMLineIndex: msg.sdp_mline_index, sdpMid: msg.sdp_mid };
        const pub = msg.session === 'publish';
        chain(p, pub ? 'pubChain' : 'subChain', () => addIce(pub ? p.pub : p.sub, p.pending[pub ? 'publish' : 'subscribe'], init));
        break;
      }
      default:
        break;
    }
  };
}
