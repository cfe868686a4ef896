#!/usr/bin/env node
// Call set-up time, browser ↔ gst: headless Chromium (the web client) calls
// convene-testpeer (webrtcbin via signalbridge, --answer) N times and measures, per
// call, click on "Call" → first video frame decoded in Chromium (from getStats on the
// page's RTCPeerConnection). Prints each call, then median and p95.
//
//   node bench/call-setup-browser.mjs [--calls 20] [--peer gst|browser] [--build build]
//
// --peer browser replaces the gst peer by a second Chromium page, as a baseline.
// Runs itself in a loopback-only network namespace (tests/netns-run.sh).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

if (process.env.CONVENE_IN_NETNS !== '1') {
  const build = path.resolve(root, arg('build', 'build'));
  const env = {
    ...process.env,
    CONVENE_BUILD_ROOT: build,
    CONVENE_BIN: process.env.CONVENE_BIN || path.join(build, 'orchestrator', 'convened', 'convened'),
    CONVENE_WEB_DIR: process.env.CONVENE_WEB_DIR || path.join(root, 'orchestrator', 'convened', 'web'),
    GST_PLUGIN_PATH: [path.join(build, 'plugins', 'signalbridge'), process.env.GST_PLUGIN_PATH].filter(Boolean).join(':'),
  };
  const r = spawnSync(path.join(root, 'tests', 'netns-run.sh'), [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

const {
  Convened, TestPeer, launchBrowser, newUserContext, openPage, pageMedia, decoded, waitFor, cleanupAll,
} = await import(path.join(root, 'tests', 'e2e', 'browser', 'harness.mjs'));

const calls = Number(arg('calls', '20'));
const peerKind = arg('peer', 'gst');
let server;
let browser;
let peer;

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function bobOnline(page) {
  return page.evaluate(() => {
    const li = document.querySelector('#contacts li[data-user="bob"]');
    return li && li.dataset.status === 'online' && window.convene.state === 'idle';
  });
}

try {
  server = await new Convened({ users: ['alice', 'bob'] }).start();
  browser = await launchBrowser();
  const bobToken = server.token('bob');
  // convene-testpeer --answer takes one call: a fresh one per call, started before
  // the clock runs (the measurement waits for bob online first).
  const startPeer = () => new TestPeer(['--uri', server.wsUrl, '--token', bobToken, '--answer', '--allow-loopback'], 'testpeer-bob').start();
  if (peerKind === 'gst') {
    peer = startPeer();
  } else {
    await openPage(await newUserContext(browser), `${server.url}/?token=${server.token('bob')}&autoaccept=1`);
  }
  const page = await openPage(await newUserContext(browser), `${server.url}/?token=${server.token('alice')}`);
  const times = [];
  for (let i = 0; i < calls; i++) {
    await waitFor(() => bobOnline(page), { timeout: 20000, what: `bob online before call ${i + 1}${peer ? `; ${peer.describe()}` : ''}` });
    const before = await page.evaluate(() => window.__pcs.length);
    const t0 = performance.now();
    await page.click('#contacts li[data-user="bob"] button');
    await waitFor(async () => {
      const media = await pageMedia(page);
      const pc = media.length > before ? media[media.length - 1] : null;
      return pc && decoded(pc).some((f) => f > 0);
    }, { timeout: 30000, interval: 20, what: `first frame of call ${i + 1}${peer ? `; ${peer.describe()}` : ''}` });
    const ms = performance.now() - t0;
    times.push(ms);
    console.log(`call ${String(i + 1).padStart(2)}: ${ms.toFixed(0)} ms`);
    await page.click('#hangup-button');
    await waitFor(() => page.evaluate(() => window.convene.state === 'idle'), { what: 'idle after hang-up' });
    if (peer) {
      await peer.stop();
      await waitFor(async () => !(await bobOnline(page)), { what: 'old test peer gone' });
      peer = startPeer();
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`call setup (click → first decoded frame, browser ↔ ${peerKind}), ${calls} calls: `
    + `median ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, `
    + `min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (peer) await peer.stop();
  if (server) await server.stop();
  cleanupAll();
}
