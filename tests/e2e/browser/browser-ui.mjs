// browser-ui: the page as a user sees it. Presence of another user goes
// online → busy → offline in the contact list; mute and camera buttons switch the
// sender tracks; a call placed and accepted with the buttons carries video both ways;
// hang up ends it on both pages. One screenshot goes to the build dir for a human.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Convened, launchBrowser, newUserContext, openPage, pageMedia, lastPc, decoded, waitFor, note, cleanupAll,
} from './harness.mjs';

let server;
let browser;
let alice;
let bob;
let carol;

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  cleanupAll();
});

async function contactStatus(page, user) {
  return page.evaluate((u) => {
    const li = document.querySelector(`#contacts li[data-user="${u}"]`);
    return li ? li.dataset.status : null;
  }, user);
}

test('convened and Chromium start, pages sign in', async () => {
  server = await new Convened({ users: ['alice', 'bob', 'carol'] }).start();
  browser = await launchBrowser();
  // alice signs in with the form: first a bad token, which the server refuses.
  alice = await openPage(await newUserContext(browser), `${server.url}/`);
  assert.equal(await alice.isVisible('#signin'), true);
  await alice.fill('#token-input', 'not-a-token');
  await alice.click('#signin-button');
  await waitFor(() => alice.evaluate(() => window.convene.state === 'signed-out' && !!window.convene.lastError),
    { what: 'bad token refused' });
  assert.match(await alice.textContent('#error'), /auth/);
  assert.equal(await alice.isVisible('#signin'), true);
  await alice.fill('#token-input', server.token('alice'));
  await alice.click('#signin-button');
  await waitFor(() => alice.evaluate(() => window.convene.state === 'idle'), { what: 'alice signed in' });
  assert.equal(await alice.isVisible('#signin'), false);
  assert.equal(await alice.evaluate(() => window.convene.user), 'alice');
});

test('contact list shows presence online → busy → offline', async () => {
  const bobCtx = await newUserContext(browser);
  bob = await openPage(bobCtx, `${server.url}/?token=${server.token('bob')}`);
  await waitFor(async () => (await contactStatus(alice, 'bob')) === 'online', { what: 'bob online at alice' });
  const carolCtx = await newUserContext(browser);
  carol = await openPage(carolCtx, `${server.url}/?token=${server.token('carol')}&autoaccept=1`);
  await waitFor(async () => (await contactStatus(alice, 'carol')) === 'online', { what: 'carol online at alice' });
  // bob calls carol: both become busy for alice.
  await bob.click('#contacts li[data-user="carol"] button');
  await waitFor(async () => (await contactStatus(alice, 'bob')) === 'busy', { what: 'bob busy at alice' });
  await waitFor(async () => (await contactStatus(alice, 'carol')) === 'busy', { what: 'carol busy at alice' });
  await bob.click('#hangup-button');
  await waitFor(async () => (await contactStatus(alice, 'bob')) === 'online', { what: 'bob online again at alice' });
  await carol.context().close();
  carol = null;
  await waitFor(async () => (await contactStatus(alice, 'carol')) === 'offline', { what: 'carol offline at alice' });
  const seen = await alice.evaluate(() => document.querySelector('#contacts li[data-user="carol"] .seen').textContent);
  assert.match(seen, /offline|last seen/);
});

test('call with buttons: alice calls, bob accepts, video both ways', async () => {
  const t0 = Date.now();
  await alice.click('#contacts li[data-user="bob"] button');
  await waitFor(() => bob.isVisible('#accept-button'), { what: 'bob sees the incoming call' });
  const ringText = await bob.textContent('#incoming-text');
  assert.match(ringText, /alice/);
  await bob.click('#accept-button');
  for (const [page, peer] of [[alice, 'bob'], [bob, 'alice']]) {
    await waitFor(async () => {
      const pc = lastPc(await pageMedia(page));
      return pc && pc.connectionState === 'connected' && decoded(pc).some((f) => f > 10);
    }, { timeout: 20000, what: `video from ${peer} decoded` });
    const hasVideo = await page.evaluate((u) => {
      const v = document.querySelector(`video[data-user="${u}"]`);
      return !!v && v.videoWidth > 0 && !v.paused;
    }, peer);
    assert.ok(hasVideo, `a playing <video data-user="${peer}">`);
  }
  note(`call set up and video decoded on both pages in ${Date.now() - t0} ms`);
  const pc = lastPc(await pageMedia(alice));
  assert.equal(pc.selected.local, 'host');
});

test('mute and camera buttons switch the sender tracks', async () => {
  const enabled = async (kind) => lastPc(await pageMedia(alice)).senders.filter((s) => s.kind === kind).map((s) => s.enabled);
  assert.deepEqual(await enabled('audio'), [true]);
  assert.deepEqual(await enabled('video'), [true]);
  await alice.click('#mute-button');
  assert.deepEqual(await enabled('audio'), [false]);
  assert.equal(await alice.getAttribute('#mute-button', 'aria-pressed'), 'true');
  await alice.click('#camera-button');
  assert.deepEqual(await enabled('video'), [false]);
  await alice.click('#mute-button');
  await alice.click('#camera-button');
  assert.deepEqual(await enabled('audio'), [true]);
  assert.deepEqual(await enabled('video'), [true]);
});

test('screen share button adds a second video by renegotiation, and removes it', async () => {
  // bob (the callee) shares, so the re-offer comes from the side that answered first.
  await bob.click('#screen-button');
  await waitFor(async () => {
    const pc = lastPc(await pageMedia(alice));
    const f = decoded(pc);
    return f.length >= 2 && f.every((n) => n > 5);
  }, { timeout: 20000, what: 'two decoding video tracks at alice' });
  await waitFor(() => alice.evaluate(() => {
    const v = document.querySelector('video[data-user="bob"][data-kind="screen"]');
    return !!v && v.videoWidth >= 1280;
  }), { what: 'a <video data-kind="screen"> at alice with the 1280-wide fake screen' });
  // The stats panel (sampled each second) follows: direct path, the screen's size.
  await waitFor(() => alice.evaluate(() => document.getElementById('stat-res').textContent.startsWith('1280')
    && document.getElementById('stat-recv').textContent !== '–'), { what: 'stats panel shows the screen share' });
  const panel = await alice.evaluate(() => [...document.querySelectorAll('#stats tr')].map((r) => `${r.cells[0].textContent}=${r.cells[1].textContent}`).join(', '));
  note(`stats panel at alice: ${panel}`);
  assert.equal(await alice.textContent('#stat-path'), 'direct');
  const out = path.join(process.env.CONVENE_BUILD_ROOT || '.', 'browser-ui-call.png');
  await alice.screenshot({ path: out, fullPage: true });
  note(`screenshot: ${out}`);
  await bob.click('#screen-button');
  await waitFor(() => alice.evaluate(() => !document.querySelector('video[data-user="bob"][data-kind="screen"]')),
    { what: 'screen video removed at alice' });
});

test('both share their screen at the same moment: glare settles, both get two videos', async () => {
  // Two offers cross: bob (callee, polite) rolls his back and answers alice's,
  // then offers again; alice (impolite) ignores bob's colliding offer.
  await Promise.all([alice.click('#screen-button'), bob.click('#screen-button')]);
  for (const [page, peer] of [[alice, 'bob'], [bob, 'alice']]) {
    await waitFor(async () => {
      const pc = lastPc(await pageMedia(page));
      const f = decoded(pc);
      return pc.signalingState === 'stable' && pc.connectionState === 'connected' && f.length >= 2 && f.every((n) => n > 5);
    }, { timeout: 25000, what: `two decoding videos at ${peer === 'bob' ? 'alice' : 'bob'}` });
    await waitFor(() => page.evaluate((u) => !!document.querySelector(`video[data-user="${u}"][data-kind="screen"]`), peer),
      { what: `screen video of ${peer}` });
  }
  await Promise.all([alice.click('#screen-button'), bob.click('#screen-button')]);
  for (const [page, peer] of [[alice, 'bob'], [bob, 'alice']]) {
    await waitFor(() => page.evaluate((u) => !document.querySelector(`video[data-user="${u}"][data-kind="screen"]`), peer),
      { timeout: 15000, what: `screen video of ${peer} removed` });
  }
});

test('hang up ends the call on both sides', async () => {
  await bob.click('#hangup-button');
  for (const page of [alice, bob]) {
    await waitFor(() => page.evaluate(() => window.convene.state === 'idle' && !window.convene.callId), { what: 'idle after hangup' });
    const pc = lastPc(await pageMedia(page));
    assert.equal(pc.connectionState, 'closed');
    assert.equal(await page.locator('#remote-videos video').count(), 0);
  }
  await waitFor(async () => (await contactStatus(alice, 'bob')) === 'online', { what: 'bob online after the call' });
  const status = await alice.textContent('#call-status');
  assert.match(status, /ended/);
  for (const page of [alice, bob]) {
    assert.deepEqual(page.consoleLines.filter((l) => l.startsWith('pageerror') || l.startsWith('error')), []);
  }
});

test('reject and cancel end a ringing call on both sides', async () => {
  const pcsBefore = await alice.evaluate(() => window.__pcs.length);
  await alice.click('#contacts li[data-user="bob"] button');
  await waitFor(() => bob.isVisible('#accept-button'), { what: 'bob rings' });
  await bob.click('#reject-button');
  await waitFor(() => alice.evaluate(() => window.convene.state === 'idle'), { what: 'alice idle after reject' });
  assert.match(await alice.textContent('#call-status'), /rejected/);
  assert.equal(await bob.isVisible('#incoming'), false);

  await alice.click('#contacts li[data-user="bob"] button');
  await waitFor(() => bob.isVisible('#accept-button'), { what: 'bob rings again' });
  assert.equal(await alice.textContent('#hangup-button'), 'Cancel');
  await alice.click('#hangup-button');
  await waitFor(() => bob.evaluate(() => window.convene.state === 'idle'), { what: 'bob idle after cancel' });
  assert.equal(await bob.isVisible('#incoming'), false);
  assert.match(await bob.textContent('#call-status'), /cancelled/);
  // Media starts only once a call is accepted.
  assert.equal(await alice.evaluate(() => window.__pcs.length), pcsBefore);
});
