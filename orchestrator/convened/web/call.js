// One call's media session: an RTCPeerConnection driven by the call's `sdp` / `ice`
// messages. The peer may be another browser or a GStreamer webrtcbin (signalbridge),
// so renegotiation must work in both directions:
// - whoever changes its tracks re-offers (onnegotiationneeded), the other answers;
// - glare is settled "perfect negotiation" style: the callee is polite (rolls its own
//   offer back and answers), the caller is impolite (ignores the colliding offer and
//   waits for the answer to its own);
// - the callee adds no track before the caller's first offer, so the first offer
//   always comes from the caller as the protocol says, and its tracks reuse the
//   offered m-lines instead of forcing a second round.
// Signaling input and negotiation run on one promise chain, so a message never
// interleaves with a half-done setLocalDescription/setRemoteDescription.

export class CallSession extends EventTarget {
  // `route` holds the fields that address this session's `sdp` / `ice` messages:
  // `{call_id}` for a 1:1 call, `{meeting, to, session}` for a meeting's mesh pair.
  constructor({ signaling, callId, route, peer, role, iceServers, relayOnly, localStream }) {
    super();
    this.signaling = signaling;
    this.callId = callId;
    this.route = route || { call_id: callId };
    this.peer = peer;
    this.role = role;
    this.polite = role !== 'offerer';
    this.localStream = localStream;
    this.screenStream = null;
    this.screenSender = null;
    this.pendingScreen = null;
    this.localAdded = false;
    this.gotFirstOffer = false;
    this.pendingCandidates = [];
    this.chain = Promise.resolve();
    this.closed = false;
    // Remote media is regrouped by meaning, not by the peer's stream ids: a
    // webrtcbin may put audio and video in different streams, so the first remote
    // video plus every remote audio form "camera", any further video is "screen".
    this.remote = { camera: null, screen: null, cameraVideo: null, screenVideo: null };

    this.pc = new RTCPeerConnection({
      iceServers: iceServers || [],
      iceTransportPolicy: relayOnly ? 'relay' : 'all',
    });
    this.pc.onicecandidate = (ev) => this.sendCandidate(ev.candidate);
    this.pc.onnegotiationneeded = () => this.enqueue(() => this.negotiate());
    this.pc.ontrack = (ev) => this.onRemoteTrack(ev);
    this.pc.onconnectionstatechange = () => this.emit('connectionstate', { state: this.pc.connectionState });
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  enqueue(fn) {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (err) {
        this.emit('error', { error: err });
      }
    });
    return this.chain;
  }

  // Called once `accepted` has arrived.
  start() {
    if (this.role === 'offerer') {
      this.enqueue(async () => {
        this.addLocalTracks();
        if (this.pc.getTransceivers().length === 0) {
          // No camera or mic here: still offer to receive the peer's media.
          this.pc.addTransceiver('audio', { direction: 'recvonly' });
          this.pc.addTransceiver('video', { direction: 'recvonly' });
        }
      });
    }
  }

  addLocalTracks() {
    this.localAdded = true;
    for (const track of this.localStream.getTracks()) this.pc.addTrack(track, this.localStream);
    if (this.pendingScreen) {
      const s = this.pendingScreen;
      this.pendingScreen = null;
      this.attachScreen(s);
    }
  }

  async negotiate() {
    // Chromium fires negotiationneeded only in 'stable', but a remote offer may have
    // been applied between the event and this turn of the chain; it fires again later.
    if (this.pc.signalingState !== 'stable') return;
    if (this.role !== 'offerer' && !this.gotFirstOffer) return;
    await this.pc.setLocalDescription();
    this.signaling.send({
      type: 'sdp', ...this.route, sdp_type: this.pc.localDescription.type, sdp: this.pc.localDescription.sdp,
    });
  }

  handleSdp(msg) {
    return this.enqueue(async () => {
      const desc = { type: msg.sdp_type, sdp: msg.sdp };
      const collision = desc.type === 'offer' && this.pc.signalingState !== 'stable';
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      // For the polite side a colliding offer rolls its own back implicitly.
      await this.pc.setRemoteDescription(desc);
      await this.flushCandidates();
      if (desc.type === 'offer') {
        if (!this.gotFirstOffer && this.role !== 'offerer') {
          this.gotFirstOffer = true;
          this.addLocalTracks();
        }
        const first = !this.pc.currentLocalDescription;
        this.gotFirstOffer = true;
        const answer = await this.pc.createAnswer();
        if (first) {
          // Answer the first offer as DTLS server. The roles chosen now hold for
          // the whole call, and GStreamer 1.22's webrtcbin answers any later offer
          // with a=setup:active: were it the DTLS server, our own re-offers (screen
          // share) would be answered with a role flip that Chromium refuses
          // ("Failed to set SSL role for the transport").
          answer.sdp = answer.sdp.replace(/a=setup:active/g, 'a=setup:passive');
        }
        await this.pc.setLocalDescription(answer);
        this.signaling.send({
          type: 'sdp', ...this.route, sdp_type: 'answer', sdp: this.pc.localDescription.sdp,
        });
      }
    });
  }

  handleIce(msg) {
    return this.enqueue(async () => {
      const init = { candidate: msg.candidate, sdpMLineIndex: msg.sdp_mline_index };
      if (typeof msg.sdp_mid === 'string') init.sdpMid = msg.sdp_mid;
      if (!this.pc.remoteDescription) {
        this.pendingCandidates.push(init);
        return;
      }
      await this.addCandidate(init);
    });
  }

  async flushCandidates() {
    const list = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const c of list) await this.addCandidate(c);
  }

  async addCandidate(init) {
    try {
      await this.pc.addIceCandidate(init);
    } catch (err) {
      // Candidates of an offer we ignored in a glare, and end-of-candidates markers
      // for m-lines the browser already closed, are expected to fail.
      if (!this.ignoreOffer && init.candidate !== '') throw err;
    }
  }

  sendCandidate(c) {
    if (this.closed) return;
    if (c && c.candidate) {
      const msg = { type: 'ice', ...this.route, candidate: c.candidate, sdp_mline_index: c.sdpMLineIndex ?? 0 };
      if (c.sdpMid !== null && c.sdpMid !== undefined) msg.sdp_mid = c.sdpMid;
      this.signaling.send(msg);
    } else {
      this.signaling.send({ type: 'ice', ...this.route, candidate: '', sdp_mline_index: 0 });
    }
  }

  onRemoteTrack(ev) {
    const track = ev.track;
    const source = ev.streams[0] || null;
    let slot;
    if (track.kind === 'audio' || !this.remote.cameraVideo) slot = 'camera';
    else slot = 'screen';
    if (!this.remote[slot]) this.remote[slot] = new MediaStream();
    this.remote[slot].addTrack(track);
    if (track.kind === 'video') this.remote[slot === 'camera' ? 'cameraVideo' : 'screenVideo'] = track;
    const removed = () => this.onRemoteTrackGone(track);
    // The peer stopping a track (removeTrack + renegotiation) shows up as the track
    // leaving its stream; a transceiver stopped outright ends the track.
    if (source) {
      source.addEventListener('removetrack', (e) => {
        if (e.track === track) removed();
      });
    }
    track.addEventListener('ended', removed);
    this.emit('remotestream', { slot, stream: this.remote[slot] });
  }

  onRemoteTrackGone(track) {
    for (const slot of ['camera', 'screen']) {
      const stream = this.remote[slot];
      if (!stream || !stream.getTracks().includes(track)) continue;
      stream.removeTrack(track);
      if (this.remote[`${slot}Video`] === track) this.remote[`${slot}Video`] = null;
      if (slot === 'screen' && stream.getVideoTracks().length === 0) {
        this.remote.screen = null;
        this.emit('remotestreamgone', { slot });
      }
    }
  }

  setMicEnabled(on) {
    for (const t of this.localStream.getAudioTracks()) t.enabled = on;
  }

  setCameraEnabled(on) {
    for (const t of this.localStream.getVideoTracks()) t.enabled = on;
  }

  // Adds a screen share as its own track (own stream id, own m-line) next to the camera.
  addScreen(stream) {
    this.enqueue(async () => {
      // Before the camera and mic are attached the screen waits, so that the camera
      // always takes the first video m-line (the receiver treats it as the camera).
      if (!this.localAdded) {
        this.pendingScreen = stream;
        return;
      }
      this.attachScreen(stream);
    });
  }

  attachScreen(stream) {
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    if ('contentHint' in track) track.contentHint = 'detail';
    this.screenStream = stream;
    this.screenSender = this.pc.addTrack(track, stream);
  }

  removeScreen() {
    this.enqueue(async () => {
      this.pendingScreen = null;
      if (this.screenSender) {
        this.pc.removeTrack(this.screenSender);
        this.screenSender = null;
      }
      this.screenStream = null;
    });
  }

  close() {
    this.closed = true;
    try {
      this.pc.close();
    } catch {
      // Already closed: nothing left to release.
    }
  }
}
