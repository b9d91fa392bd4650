/**
 * Debian's Chromium, driven by playwright-core (which never downloads a browser of its own).
 * Background networking off: the machine has no network beyond its package registries, and a
 * page test must show that a page needs none.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
