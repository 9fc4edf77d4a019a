/**
 * Headless Chromium for the browser and report tests: the Debian package
 * `chromium` (/usr/bin/chromium, or $CHROMIUM_PATH) driven by playwright-core,
 * whose own browser download never runs. When Chromium or playwright-core is
 * missing, `chromiumUnavailable()` says why, and the tests skip with that reason.
 */
import * as fs from 'fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why headless Chromium cannot run here, or undefined when it can. */
export function chromiumUnavailable(): string | undefined {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    return `Chromium not found at ${CHROMIUM_PATH} (install the Debian package: apt-get install -y chromium, or set CHROMIUM_PATH)`;
  }
  try {
    require.resolve('playwright-core');
  } catch {
    return 'the npm package playwright-core is not installed (npm install --save-dev playwright-core)';
  }
  return undefined;
}

/**
 * Chromium flags for WebGL without a GPU: ANGLE on SwiftShader (Vulkan, software),
 * which Chromium 13x+ only allows behind --enable-unsafe-swiftshader. WebGL 2 with
 * float32 render targets (what tfjs' webgl backend needs) then works headless.
 */
export const SWIFTSHADER_FLAGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

/**
 * Launches headless Chromium (no sandbox: CI containers run as root). With
 * `webgl: true` it renders WebGL on SwiftShader (SWIFTSHADER_FLAGS) for tfjs'
 * webgl backend; otherwise the GPU is disabled.
 */
export async function launchChromium(options: { webgl?: boolean } = {}): Promise<Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const gpu = options.webgl ? SWIFTSHADER_FLAGS : ['--disable-gpu'];
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', ...gpu] });
}

/** Collects console errors, failed requests and uncaught page errors of a page. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`response ${r.status()}: ${r.url()}`);
  });
  return errors;
}
