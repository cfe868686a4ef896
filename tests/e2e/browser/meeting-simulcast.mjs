// meeting-simulcast: simulcast through the real worker. alice publishes her camera in
// three layers (160x120, 320x240, 640x480 from Chromium's 640x480 fake camera, by
// SSRC: a=ssrc-group:SIM); bob's page is small and carol's large, so the browser
// client asks the worker (`view`) for a small and a large tile of alice. bob must get
// the low layer and carol the high one, by the frame size in their own getStats();
// then bob's page grows and he moves up to the high layer, decoding on without a
// freeze and without errors on the page.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Convened, launchBrowser, newUserContext, openPage, tileMedia, waitFor, note, cleanupAll,
  requireEnv, requireExecutable,
} from './harness.mjs';

const MEETING = 'simulcast-1';
let server;
let browser;
const pages = new Map();

test.after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  cleanupAll();
});

// alice's tile on @page, as tileMedia() sees it.
async function aliceTile(page) {
  return (await tileMedia(page)).find((t) => t.user === 'alice' && t.kind !== 'screen') || null;
}

function serverTail() {
  return server ? server.proc.output.slice(-30).join('\n') : '';
}

test('alice, bob (small page) and carol (large page) meet through the worker', async () => {
  const worker = requireExecutable(path.join(requireEnv('CONVENE_BUILD_ROOT'), 'orchestrator', 'worker', 'convene-worker'), 'convene-worker');
  const command = `sh -c 'exec "$0" "$@" ALLOW_LOOPBACK=true' ${worker}`;
  server = await new Convened({ users: ['alice', 'bob', 'carol'], sets: ['meetings.mesh-max=1', `meetings.worker-command=${command}`] }).start();
  browser = await launchBrowser();
  const sizes = { alice: { width: 640, height: 480 }, bob: { width: 360, height: 300 }, carol: { width: 2400, height: 1600 } };
  for (const u of ['alice', 'bob', 'carol']) {
    const ctx = await newUserContext(browser);
    const page = await openPage(ctx, `${server.url}/?token=${server.token(u, { meeting: MEETING })}&meeting=${MEETING}`);
    await page.setViewportSize(sizes[u]);
    pages.set(u, page);
  }
  for (const [u, page] of pages) {
    await waitFor(async () => {
      const m = await page.evaluate(() => window.convene.meeting);
      return m && m.mode === 'sfu' && m.sfu && !m.pendingMode;
    }, { timeout: 30000, what: `${u} on the SFU path` });
  }
});

test('the small tile gets the low layer, the large tile the high layer', async () => {
  const want = { bob: (w) => w > 0 && w <= 160, carol: (w) => w >= 640 };
  for (const u of ['bob', 'carol']) {
    const page = pages.get(u);
    let last = null;
    try {
      // The high layer needs alice's encoder to have ramped up to it: allow time.
      await waitFor(async () => {
        last = await aliceTile(page);
        return last && last.framesDecoded > 0 && want[u](last.width);
      }, { timeout: 40000, interval: 250, what: `${u}'s tile of alice at the expected layer` });
    } catch (err) {
      const out = await pages.get('alice').evaluate(async () => {
        const r = [];
        for (const pc of window.__pcs.filter((p) => p.connectionState !== 'closed')) {
          (await pc.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') r.push(`${s.ssrc} ${s.frameWidth}x${s.frameHeight} pkts=${s.packetsSent} limit=${s.qualityLimitationReason}`);
            if (s.type === 'candidate-pair' && s.nominated) r.push(`available outgoing ${s.availableOutgoingBitrate}`);
          });
          const answer = pc.remoteDescription && pc.remoteDescription.type === 'answer' ? pc.remoteDescription.sdp : '';
          r.push(...(answer.match(/^a=(extmap|rtcp-fb):.*$/gm) || []));
        }
        return r;
      });
      throw new Error(`${err.message}; last ${JSON.stringify(last)}; alice sends ${JSON.stringify(out)}\n${serverTail()}`);
    }
    note(`${u}: alice's tile ${JSON.stringify(await page.evaluate(() => {
      const v = [...document.querySelectorAll('#remote-videos video[data-user=alice]')][0];
      return v ? { tile: [v.clientWidth, v.clientHeight] } : null;
    }))} decodes ${last.width}x${last.height}`);
  }
});

test('bob\'s page grows: he switches to the high layer and decodes on', async () => {
  const page = pages.get('bob');
  // Frame counts every 100 ms across the switch: the longest stall is the gap.
  await page.evaluate(() => {
    window.__samples = [];
    window.__sampler = setInterval(async () => {
      for (const pc of window.__pcs.filter((p) => p.connectionState !== 'closed')) {
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') window.__samples.push({ t: performance.now(), id: s.trackIdentifier, f: s.framesDecoded, w: s.frameWidth });
        });
      }
    }, 100);
  });
  const before = await aliceTile(page);
  await page.setViewportSize({ width: 2400, height: 1600 });
  let last = null;
  await waitFor(async () => {
    last = await aliceTile(page);
    return last && last.width >= 640 && last.framesDecoded > before.framesDecoded + 30;
  }, { timeout: 40000, interval: 250, what: 'bob decodes alice at the high layer after growing' });
  const samples = await page.evaluate(() => { clearInterval(window.__sampler); return window.__samples; });
  // alice's video is the track whose width went from small to large.
  const ids = [...new Set(samples.filter((s) => s.w >= 640).map((s) => s.id))];
  const mine = samples.filter((s) => ids.includes(s.id));
  let gap = 0;
  let lastChange = mine.length ? mine[0].t : 0;
  for (let i = 1; i < mine.length; i++) {
    if (mine[i].f > mine[i - 1].f) {
      gap = Math.max(gap, mine[i].t - lastChange);
      lastChange = mine[i].t;
    }
  }
  note(`bob: ${before.width}x${before.height} -> ${last.width}x${last.height}, longest stall of alice's video across the switch ${Math.round(gap)} ms`);
  assert.ok(gap < 1000, `alice's video stalled ${Math.round(gap)} ms at bob's layer switch`);
  const errors = page.consoleLines.filter((l) => /^error|pageerror/.test(l));
  assert.deepEqual(errors, [], 'no errors on bob\'s page');
});
