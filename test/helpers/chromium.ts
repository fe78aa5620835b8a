/**
 * The Chromium the browser tests drive (through puppeteer-core, which brings no browser of its own): CHROME_PATH, else
 * `chromium` (Debian's package, which .ci/run installs) or `chromium-browser` / `google-chrome` on PATH. Absent, it
 * throws: the browser test fails and says how to install it rather than skipping silently.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export function chromiumPath(): string {
  const configured = process.env.CHROME_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROME_PATH=${configured} does not exist`);
    return configured;
  }
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const candidate = path.join(dir, name);
      if (dir && existsSync(candidate) && spawnSync(candidate, ['--version']).status === 0) return candidate;
    }
  }
  throw new Error('Chromium not found: apt-get install -y chromium (Debian), or set CHROME_PATH to a Chromium or Chrome binary');
}

/** Headless Chromium; without the sandbox when running as root (CI containers), which Chromium otherwise refuses. */
export function launchChromium(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...(asRoot ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
