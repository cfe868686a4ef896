// relay: calls through coturn with TURN REST credentials minted by convened.
// (a0) Chromium relay-only ↔ Chromium: the credentials and coturn alone;
// (a) Chromium relay-only ↔ gst peer: media flows and the selected pair is relayed;
// (b) gst ↔ gst, one side --relay: media flows, that side reports a relay pair;
// (c) convened minting with a secret coturn does not know: a relay-only Chromium
//     gathers no relay candidate, never connects, and coturn refuses the user (401).

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  Convened, Coturn, TestPeer, launchBrowser, newUserContext, openPage, pageMedia, lastPc, decoded, waitFor, sleep,
  note, cleanupAll,
} from './harness.mjs';

const SECRET = `s-${process.pid}-${Date.now()}`;
let turn;
let browser;
const servers = [];
const peers = [];

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const p of peers) await p.stop();
  for (const s of servers) await s.stop();
  if (turn) await turn.stop();
  cleanupAll();
});

async function startServer(secret) {
  const s = await new Convened({
    users: ['alice', 'bob', 'carol'],
    sets: [`ice.turn=${turn.uri}`, `ice.turn-secret=${secret}`],
  }).start();
  servers.push(s);
  return s;
}

function startPeer(server, user, args) {
  const p = new TestPeer(['--uri', server.wsUrl, '--token', server.token(user), '--allow-loopback', ...args], `testpeer-${user}`).start();
  peers.push(p);
  return p;
}

async function signedInPage(server, user, extra = '') {
  const ctx = await newUserContext(browser);
  const page = await openPage(ctx, `${server.url}/?token=${server.token(user)}${extra}`);
  await waitFor(() => page.evaluate(() => window.convene.state === 'idle'), { what: `${user} signed in` });
  return page;
}

async function waitOnline(page, user, what) {
  await waitFor(() => page.evaluate((u) => {
    const li = document.querySelector(`#contacts li[data-user="${u}"]`);
    return li && li.dataset.status === 'online';
  }, user), { timeout: 20000, what });
}

test('coturn and Chromium start', async () => {
  turn = await new Coturn({ secret: SECRET }).start();
  note(`coturn on ${turn.uri}`);
  browser = await launchBrowser();
});

// The same path between two browsers: proves convened's credentials against coturn
// on their own, so a failure of (a) points at the gst side.
test('(a0) Chromium relay-only calls another Chromium through coturn', async () => {
  const server = await startServer(SECRET);
  const bob = await signedInPage(server, 'bob', '&autoaccept=1');
  const alice = await signedInPage(server, 'alice', '&relay=1');
  await waitOnline(alice, 'bob', 'bob online at alice');
  await alice.click('#contacts li[data-user="bob"] button');
  await waitFor(async () => {
    const pc = lastPc(await pageMedia(alice));
    return pc && pc.connectionState === 'connected' && decoded(pc).some((f) => f > 10);
  }, { timeout: 20000, what: 'relayed video decoded at alice' });
  const pc = lastPc(await pageMedia(alice));
  note(`Chromium: gathered=${JSON.stringify(pc.gathered)} selected=${JSON.stringify(pc.selected)}`);
  assert.ok(pc.gathered.length > 0 && pc.gathered.every((t) => t === 'relay'), `only relay candidates: ${pc.gathered}`);
  assert.equal(pc.selected.local, 'relay');
  // The app's own stats panel agrees with getStats.
  await waitFor(() => alice.evaluate(() => document.getElementById('stat-path').textContent === 'relay'),
    { what: 'stats panel path relay' });
  await alice.click('#hangup-button');
  await waitFor(() => bob.evaluate(() => window.convene.state === 'idle'), { what: 'bob idle after hang-up' });
  await alice.context().close();
  await bob.context().close();
});

test('(a) Chromium relay-only calls a gst peer through coturn', async () => {
  const server = await startServer(SECRET);
  const bob = startPeer(server, 'bob', ['--answer']);
  const page = await signedInPage(server, 'alice');
  await waitOnline(page, 'bob', `bob online; ${bob.describe()}`);
  const t0 = Date.now();
  await page.goto(`${server.url}/?token=${server.token('alice')}&call=bob&relay=1`);
  await waitFor(async () => {
    const pc = lastPc(await pageMedia(page));
    return pc && pc.connectionState === 'connected' && decoded(pc).some((f) => f > 0);
  }, { timeout: 30000, what: `relayed video decoded in Chromium; ${bob.describe()}` });
  note(`page load → first relayed frame in Chromium: ${Date.now() - t0} ms`);
  const first = decoded(lastPc(await pageMedia(page)))[0];
  await waitFor(async () => decoded(lastPc(await pageMedia(page)))[0] > first + 10, { what: 'framesDecoded rising' });
  await waitFor(() => bob.last && (bob.last.video_frames || []).some((n) => n > 10),
    { timeout: 20000, what: `Chromium's video decoded by the gst peer; ${bob.describe()}` });
  const pc = lastPc(await pageMedia(page));
  note(`Chromium: policy=${pc.policy} gathered=${JSON.stringify(pc.gathered)} selected=${JSON.stringify(pc.selected)}`);
  assert.equal(pc.policy, 'relay');
  assert.ok(pc.gathered.length > 0 && pc.gathered.every((t) => t === 'relay'), `only relay candidates: ${pc.gathered}`);
  assert.ok(pc.selected.local === 'relay' || pc.selected.remote === 'relay', `relayed pair: ${JSON.stringify(pc.selected)}`);
  await page.click('#hangup-button');
  await page.context().close();
  await bob.stop();
});

test('(b) gst ↔ gst with --relay on the caller', async () => {
  const server = await startServer(SECRET);
  const bob = startPeer(server, 'bob', ['--answer']);
  // The callee must be connected before the call, or the call ends 'offline': a page
  // signed in as carol watches bob's presence, whatever the test peer prints.
  const watcher = await signedInPage(server, 'carol');
  await waitOnline(watcher, 'bob', `bob online; ${bob.describe()}`);
  await watcher.context().close();
  // The TURN server and its credentials come from convened's welcome.
  const alice = startPeer(server, 'alice', ['--call', 'bob', '--relay']);
  await waitFor(() => {
    const a = alice.last;
    const b = bob.last;
    return a && b && (a.video_frames || []).some((n) => n > 10) && (b.video_frames || []).some((n) => n > 10);
  }, { timeout: 30000, what: `video both ways between gst peers; ${alice.describe()}\n${bob.describe()}` });
  const firstA = alice.last.video_frames[0];
  await waitFor(() => alice.last.video_frames[0] > firstA, { what: 'frames rising at alice' });
  note(`alice: ${JSON.stringify(alice.last)} bob: ${JSON.stringify(bob.last)}`);
  assert.equal(alice.last.selected_pair, 'relay');
  await alice.stop();
  await bob.stop();
});

test('(c) wrong TURN secret: relay-only Chromium gathers nothing and never connects', async () => {
  const server = await startServer(`${SECRET}-not-the-coturn-one`);
  const bob = await signedInPage(server, 'bob', '&autoaccept=1');
  const alice = await signedInPage(server, 'alice', '&relay=1');
  await waitOnline(alice, 'bob', 'bob online at alice');
  const turnServers = await alice.evaluate(() => window.__pcs.length);
  assert.equal(turnServers, 0, 'no peer connection before the call');
  await alice.click('#contacts li[data-user="bob"] button');
  await waitFor(() => alice.evaluate(() => window.convene.state === 'in-call' && window.__pcs.length > 0),
    { what: 'call accepted and a peer connection made' });
  // The negative claim needs time to be a claim: 10 s is several TURN retries.
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const pc = lastPc(await pageMedia(alice));
    assert.notEqual(pc.connectionState, 'connected', 'connected without a usable TURN server');
    assert.deepEqual(pc.gathered.filter((t) => t === 'relay'), [], 'a relay candidate with a wrong credential');
    await sleep(500);
  }
  const pc = lastPc(await pageMedia(alice));
  note(`Chromium: policy=${pc.policy} gathered=${JSON.stringify(pc.gathered)} state=${pc.connectionState}`);
  assert.equal(pc.policy, 'relay');
  assert.deepEqual(decoded(pc).filter((f) => f > 0), []);
  // coturn logs a refused TURN REST credential as a check_stun_auth error naming it.
  const refused = turn.log().split('\n').filter((l) => /check_stun_auth|401/.test(l) && /:alice>?/.test(l));
  note(`coturn: ${refused.length} refusals for alice, e.g. ${refused[0] || '(none)'}`);
  assert.ok(refused.length > 0, `coturn refused alice's credential:\n${turn.log().split('\n').slice(-20).join('\n')}`);
  await alice.click('#hangup-button');
  await waitFor(() => bob.evaluate(() => window.convene.state === 'idle'), { what: 'bob idle after hang-up' });
});

// (d) coturn itself refuses an expired TURN REST credential: the same user and
// secret, once with an expiry in the past and once in the future. The fresh one is
// the control that makes the refusal mean something.
test('(d) expired TURN credential: no relay candidate, while a fresh one gathers', async () => {
  const { createHmac } = await import('node:crypto');
  const server = await startServer(SECRET);
  const ctx = await newUserContext(browser);
  const page = await openPage(ctx, `${server.url}/`);
  const cred = (expiry) => {
    const username = `${expiry}:alice`;
    return { urls: [turn.uri], username, credential: createHmac('sha1', SECRET).update(username).digest('base64') };
  };
  const now = Math.floor(Date.now() / 1000);
  const gather = (iceServer) => page.evaluate(async (server) => {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
    const types = [];
    pc.createDataChannel('probe');
    const done = new Promise((resolve) => {
      pc.onicecandidate = (e) => { if (e.candidate) types.push(e.candidate.type); else resolve(); };
    });
    await pc.setLocalDescription(await pc.createOffer());
    // Gathering ends by itself (end-of-candidates); the timeout only bounds a hang.
    await Promise.race([done, new Promise((r) => setTimeout(r, 15000))]);
    const state = pc.iceGatheringState;
    pc.close();
    return { types, state };
  }, iceServer);
  const fresh = await gather(cred(now + 3600));
  note(`fresh credential: ${JSON.stringify(fresh)}`);
  assert.ok(fresh.types.includes('relay'), 'a valid credential gathers a relay candidate');
  const expired = await gather(cred(now - 3600));
  note(`expired credential: ${JSON.stringify(expired)}`);
  assert.equal(expired.state, 'complete', 'gathering finished');
  assert.deepEqual(expired.types.filter((t) => t === 'relay'), [], 'no relay candidate with an expired credential');
  await ctx.close();
});
