// meeting-six with the checks that fail today (see the last test of meeting-six.mjs):
// the same meeting, plus stopping alice's screen share.
process.env.CONVENE_SIX_PENDING = '1';
await import('./meeting-six.mjs');
