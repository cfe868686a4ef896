// browser-gst: headless Chromium calls a GStreamer peer (convene-testpeer, webrtcbin
// through signalbridge) with camera, mic and a screen share. Each side must decode
// the other's video, judged from the receiver: Chromium's getStats() on one side,
// the peer's own per-second JSON report on the other. Then the other direction: a gst
// peer calls Chromium, which answers, and Chromium's screen share is a renegotiation
// that Chromium offers to the webrtcbin that made the first offer.

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  Convened, TestPeer, launchBrowser, newUserContext, openPage, pageMedia, lastPc, decoded, waitFor, note, cleanupAll,
} from './harness.mjs';

let server;
let browser;
let page;
let peer;
let caller;

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (peer) await peer.stop();
  if (caller) await caller.stop();
  if (server) await server.stop();
  cleanupAll();
});

// Frames of the peer's video tracks, from its last report.
function peerFrames() {
  return (peer.last && Array.isArray(peer.last.video_frames)) ? peer.last.video_frames : [];
}

async function rising(sample, what, timeout = 15000) {
  const first = await sample();
  await waitFor(async () => {
    const now = await sample();
    return now.length >= first.length && now.length > 0 && now.every((v, i) => v > (first[i] ?? 0));
  }, { timeout, what: `${what} rising from ${JSON.stringify(first)}` });
}

test('convened, the gst peer (answering) and Chromium start', async () => {
  server = await new Convened({ users: ['alice', 'bob', 'carol'] }).start();
  peer = new TestPeer(['--uri', server.wsUrl, '--token', server.token('bob'), '--answer', '--allow-loopback'], 'testpeer-bob').start();
  browser = await launchBrowser();
  const ctx = await newUserContext(browser);
  // Sign in without calling first, so the call starts only once bob is reachable.
  page = await openPage(ctx, `${server.url}/?token=${server.token('alice')}`);
  await waitFor(() => page.evaluate(() => {
    const li = document.querySelector('#contacts li[data-user="bob"]');
    return li && li.dataset.status === 'online';
  }), { timeout: 20000, what: `bob (testpeer) online; ${peer.describe()}` });
});

test('Chromium calls bob with screen share: both sides decode video', async () => {
  const t0 = Date.now();
  await page.goto(`${server.url}/?token=${server.token('alice')}&call=bob&screen=1`);
  let tFirst = null;
  await waitFor(async () => {
    const pc = lastPc(await pageMedia(page));
    if (pc && decoded(pc).some((f) => f > 0) && tFirst === null) tFirst = Date.now() - t0;
    return pc && pc.connectionState === 'connected' && decoded(pc).some((f) => f > 0);
  }, { timeout: 30000, what: `first decoded frame in Chromium; ${peer.describe()}` });
  note(`page load → first frame decoded in Chromium: ${tFirst} ms`);
  await rising(async () => decoded(lastPc(await pageMedia(page))).slice(0, 1), 'framesDecoded in Chromium');
  const pc = lastPc(await pageMedia(page));
  note(`Chromium receives ${JSON.stringify(pc.inboundVideo)} over ${JSON.stringify(pc.selected)}`);
  assert.ok(pc.outboundVideo.length >= 2, `Chromium sends camera and screen: ${JSON.stringify(pc.outboundVideo)}`);

  let tPeer = null;
  await waitFor(() => {
    const f = peerFrames();
    if (f.some((n) => n > 0) && tPeer === null) tPeer = Date.now() - t0;
    return peer.last && peer.last.video_tracks >= 2 && f.length >= 2 && f.every((n) => n > 0);
  }, { timeout: 30000, what: `camera and screen decoded by the gst peer; ${peer.describe()}` });
  note(`page load → first frame decoded by the gst peer: ${tPeer} ms`);
  await rising(async () => peerFrames().slice(0, 2), 'video frames of both tracks at the gst peer');
  note(`gst peer: ${JSON.stringify(peer.last)}`);
  assert.equal(await page.evaluate(() => document.querySelectorAll('video[data-user="bob"]').length >= 1), true);
});

test('screen share stopped and started again mid-call (browser re-offers to webrtcbin)', async () => {
  await page.click('#screen-button');
  await waitFor(() => page.evaluate(() => window.convene.state === 'in-call'
    && document.querySelector('#screen-button').getAttribute('aria-pressed') === 'false'), { what: 'share stopped' });
  // Camera keeps flowing through the renegotiation that removed the screen.
  await rising(async () => peerFrames().slice(0, 1), 'camera frames at the gst peer after removing the screen');
  const before = peerFrames();
  const tracksBefore = peer.last.video_tracks;
  await page.click('#screen-button');
  await waitFor(() => {
    const f = peerFrames();
    // The new share is a new m-line: a new track, or a revived one, gaining frames.
    return f.length >= before.length && f.slice(1).some((n, i) => n > (before[i + 1] ?? 0) + 10);
  }, { timeout: 20000, what: `re-shared screen decoded by the gst peer (before ${JSON.stringify(before)}); ${peer.describe()}` });
  note(`gst peer after re-share: tracks ${tracksBefore} → ${peer.last.video_tracks}, frames ${JSON.stringify(peerFrames())}`);
  const pc = lastPc(await pageMedia(page));
  assert.equal(pc.connectionState, 'connected');
  assert.equal(pc.signalingState, 'stable');
});

test('hang up from Chromium ends the call', async () => {
  await page.click('#hangup-button');
  await waitFor(() => page.evaluate(() => window.convene.state === 'idle'), { what: 'Chromium idle' });
  await waitFor(() => peer.last && peer.last.state !== 'accepted', { timeout: 10000, what: `gst peer leaves the call; ${peer.describe()}` });
  assert.ok(peer.alive(), `the gst peer survives the hang-up; ${peer.describe()}`);
});

test('a gst peer calls Chromium; Chromium answers, then re-offers to add its screen', async () => {
  await page.goto(`${server.url}/?token=${server.token('alice')}&autoaccept=1&screen=1`);
  await waitFor(() => page.evaluate(() => window.convene.state === 'idle'), { what: 'alice signed in again' });
  const t0 = Date.now();
  caller = new TestPeer(['--uri', server.wsUrl, '--token', server.token('carol'), '--call', 'alice', '--allow-loopback'], 'testpeer-carol').start();
  await waitFor(async () => {
    const pc = lastPc(await pageMedia(page));
    return pc && pc.connectionState === 'connected' && decoded(pc).some((f) => f > 0);
  }, { timeout: 30000, what: `carol's video decoded in Chromium; ${caller.describe()}` });
  note(`gst caller start → first frame decoded in Chromium: ${Date.now() - t0} ms`);
  assert.equal(await page.evaluate(() => window.convene.role), 'answerer');
  await waitFor(() => {
    const f = (caller.last && caller.last.video_frames) || [];
    return caller.last.video_tracks >= 2 && f.length >= 2 && f.every((n) => n > 10);
  }, { timeout: 30000, what: `Chromium's camera and screen decoded by the gst caller; ${caller.describe()}` });
  note(`gst caller: ${JSON.stringify(caller.last)}`);
  const pc = lastPc(await pageMedia(page));
  assert.equal(pc.signalingState, 'stable');
  await caller.stop();
  caller = null;
  // The caller's connection closing ends the call ('disconnected') for Chromium.
  await waitFor(() => page.evaluate(() => window.convene.state === 'idle'), { timeout: 15000, what: 'Chromium idle after the caller left' });
});
