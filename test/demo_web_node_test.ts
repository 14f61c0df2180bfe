// The browser demo page (demo/web, `npm run demo:web`) end to end, in the Node suite: builds it
// with demo/web/serve.ts into a temporary folder, serves it on an ephemeral 127.0.0.1 port and
// drives headless Chromium (playwright-core, the browser of the karma suite, same flags). Every
// backend the page lists as available must match PyTorch on the three demo models (a backend
// listed available that misses parity fails the spec); unavailable ones must say why. The slice
// canvases must show something; a dropped state_dict must get assignStateDict's per-key report;
// hostile and garbage files the loader's error. Takes a screenshot of the page: into the build's
// temporary folder normally (so that `npm test` leaves the checkout as it was), and over the
// README's docs/demo_web.png with UPDATE_SCREENSHOT=1 (`npm run demo:web:screenshot`).
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import type {Server} from 'node:http';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Browser, chromium, Page} from 'playwright-core';
import {buildDemoWeb, CSP, serveDemoWeb} from '../demo/web/serve.js';
import {findChrome} from '../scripts/find-chrome.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asset = (f: string) => join(root, 'demo', 'assets', f);
// As karma.conf.js: root in CI containers, WebGL 2 and WebGPU on SwiftShader, no network.
const FLAGS = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
               '--enable-unsafe-webgpu', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const BACKENDS = ['webgpu', 'webgl', 'cpu', 'wasm'];
const MODELS = ['unet3d', 'decoder', 'generator'];
const T = 120000;

/** A safetensors file of float32 tensors, written here (the format is 8 bytes + JSON + data). */
function safetensors(tensors: Record<string, number[]>): Buffer {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const [k, shape] of Object.entries(tensors)) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    header[k] = {dtype: 'F32', shape, data_offsets: [offset, offset + n]};
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(offset)]);
}

describe('browser demo page (npm run demo:web)', () => {
  let dir = '', server: Server|null = null, url = '', browser: Browser|null = null;
  let page: Page;
  let mainResponseCsp: string|undefined;
  const requests: string[] = [], failedRequests: string[] = [], pageErrors: string[] = [];

  /** The page's live tensor count after its last run or load (main.ts noteTensors). */
  const tensors = () => page.getAttribute('#status', 'data-tensors');

  beforeAll(async () => {
    // Throws, failing every spec below with install instructions, when there is no Chromium.
    const executablePath = findChrome();
    dir = await buildDemoWeb(mkdtempSync(join(tmpdir(), 'demo-web-')));
    ({server, url} = await serveDemoWeb(dir, 0));
    browser = await chromium.launch({executablePath, headless: true, args: FLAGS});
    page = await browser.newPage({viewport: {width: 1100, height: 900}});
    page.on('request', r => requests.push(r.url()));
    page.on('requestfailed', r => failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', r => {
      if (r.status() >= 400) failedRequests.push(`${r.url()}: HTTP ${r.status()}`);
    });
    page.on('pageerror', e => pageErrors.push(e.message));
    // CSP violations, as the page sees them (a refused wasm compile, script, fetch, …).
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', e => {
        (globalThis as {cspViolations?: string[]}).cspViolations ??= [];
        (globalThis as unknown as {cspViolations: string[]}).cspViolations.push(
            `${e.violatedDirective}: ${e.blockedURI}`);
      });
    });
    const response = await page.goto(url);
    mainResponseCsp = response?.headers()['content-security-policy'];
    await page.waitForSelector('#status[data-ready=true], #status[data-ready=error]', {timeout: T});
    const status = await page.$eval('#status', e => [e.getAttribute('data-ready'), e.textContent]);
    if (status[0] !== 'true') throw new Error(`the demo page did not start: ${status[1]}`);
  }, T);

  afterAll(async () => {
    await browser?.close();
    await new Promise(r => server ? server.close(r) : r(null));
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  it('is served with its Content-Security-Policy and loads nothing from elsewhere', async () => {
    expect(mainResponseCsp).toBe(CSP);
    const meta = await page.$eval('meta[http-equiv="Content-Security-Policy"]',
                                  e => e.getAttribute('content'));
    expect(meta).toBe(CSP);
    expect(CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(CSP).not.toContain("'unsafe-eval'");
    const origin = new URL(url).origin;
    expect(requests.filter(r => !r.startsWith(`${origin}/`) && !r.startsWith('data:'))).toEqual([]);
    expect(requests).toContain(`${origin}/assets/unet.pt`);
  });

  it('lists every backend, and says why an unavailable one is greyed out', async () => {
    const listed = await page.$$eval('.backend', bs => bs.map(b => ({
      name: b.getAttribute('data-backend'), disabled: (b as HTMLButtonElement).disabled,
      reason: b.getAttribute('data-reason'), text: b.textContent,
    })));
    expect(listed.map(b => b.name)).toEqual(BACKENDS);
    for (const b of listed) {
      if (b.disabled) {
        expect(b.reason).withContext(b.name!).toMatch(/\S{8}/);
        expect(b.text).withContext(b.name!).toContain(`unavailable: ${b.reason}`);
      }
    }
    // The cpu backend is always there, on our WebAssembly core: the CSP lets it compile.
    const cpu = listed.find(b => b.name === 'cpu')!;
    expect(cpu.disabled).toBe(false);
    expect(cpu.text).toContain('cpu (wasm core)');
  });

  it('runs the demo models on each available backend, matching PyTorch', async () => {
    const names = await page.$$eval('.backend:not([disabled])',
                                    bs => bs.map(b => b.getAttribute('data-backend')!));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      await page.$eval('#status', e => e.removeAttribute('data-tensors'));
      await page.click(`.backend[data-backend="${name}"]`);
      await page.waitForFunction(n => {
        const bs = document.querySelectorAll(`.badge[data-backend="${n}"]`);
        return bs.length === 3 &&
            Array.from(bs).every(b => b.getAttribute('data-status') !== 'running');
      }, name, {timeout: T});
      const badges = await page.$$eval(`.badge[data-backend="${name}"]`, bs => bs.map(b => ({
        model: b.getAttribute('data-model'), status: b.getAttribute('data-status'),
        row: b.closest('tr')!.textContent,
      })));
      expect(badges.map(b => b.model)).toEqual(MODELS);
      await page.waitForSelector('#status[data-tensors]', {state: 'attached'});
      expect(await tensors()).withContext(`tensors left after the ${name} runs`).toBe('0');
      for (const b of badges) {
        expect(b.status).withContext(`${name} ${b.model}: ${b.row}`).toBe('pass');
        expect(b.row).toContain('1e-4 × max|PyTorch|');
      }
    }
  }, T);

  /** Pixel variance of each slice canvas under `sel`. */
  const variances = (sel: string) => page.$$eval(`${sel} canvas.slice-canvas`, cs => cs.map(c => {
    const cv = c as HTMLCanvasElement;
    const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    let s = 0, s2 = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const v = d[i] + d[i + 1] + d[i + 2];
      s += v;
      s2 += v * v;
    }
    return s2 / n - (s / n) ** 2;
  }));

  it('shows input and output volumes as three non-blank slices, with a slider', async () => {
    await page.selectOption('#view-model', 'unet3d');
    for (const sel of ['#view-input', '#view-output']) {
      const v = await variances(sel);
      expect(v.length).withContext(sel).toBe(3);
      for (const x of v) expect(x).withContext(sel).toBeGreaterThan(0);
    }
    expect(await page.textContent('#view-output .scale .range')).toMatch(/-?\d.*\d/);
    // Moving the D slider redraws that slice.
    const before = await page.$eval('#view-output canvas[data-axis=D]',
                                    c => (c as HTMLCanvasElement).toDataURL());
    await page.$eval('#view-output .slice input[type=range]', e => {
      const r = e as HTMLInputElement;
      r.value = '0';
      r.dispatchEvent(new Event('input'));
    });
    const after = await page.$eval('#view-output canvas[data-axis=D]',
                                   c => (c as HTMLCanvasElement).toDataURL());
    expect(after).not.toBe(before);
    expect(await page.textContent('#view-output .slice')).toContain('D = 0');
  });

  /** Chooses `file` in the file input; resolves with the report's status once it is settled. */
  async function drop(file: string|{name: string, mimeType: string, buffer: Buffer},
                      model = 'auto') {
    await page.selectOption('#sd-model', model);
    await page.$eval('#sd-report', e => e.removeAttribute('data-status'));
    await page.$eval('#status', e => e.removeAttribute('data-tensors'));
    await page.setInputFiles('#sd-file', file);
    await page.waitForSelector('#sd-report[data-status=ok], #sd-report[data-status=error]',
                               {state: 'attached', timeout: T});
    await page.waitForFunction(() => document.querySelector('#status')!.getAttribute(
        'data-tensors') != null);
    expect(await tensors()).withContext(`tensors left after loading ${JSON.stringify(
        typeof file === 'string' ? file : file.name)}`).toBe('0');
    return page.$eval('#sd-report', e => e.getAttribute('data-status'));
  }
  const rows = () => page.$$eval('#sd-report tbody tr', rs => rs.map(r => ({
    key: r.getAttribute('data-key'), text: r.textContent,
    status: r.querySelector('td[data-status]')!.getAttribute('data-status'),
  })));

  it('shows the loader\'s error for garbage and hostile files', async () => {
    const garbage = Buffer.from(Array.from({length: 3000},
                                           (_, i) => (i * 2654435761 >>> 13) & 255));
    const hostile = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'hostile_files.json'),
                                            'utf8'));
    const cases = [
      {name: 'garbage.pt', buffer: garbage,
       error: /^safetensors: header length \d+ exceeds the file size/},
      {name: 'truncated.pt', buffer: readFileSync(asset('unet.pt')).subarray(0, 5000),
       error: /^torch\.load: corrupt or unsupported zip/},
      {name: 'shared.pt', buffer: Buffer.from(hostile.files['shared.pt'], 'base64'),
       error: /^torch\.load: the state_dict has more than maxEntries/},
      {name: 'collide.pt', buffer: Buffer.from(hostile.files['collide.pt'], 'base64'),
       error: /^torch\.load: two entries flatten to the key/},
    ];
    for (const c of cases) {
      expect(await drop({name: c.name, mimeType: 'application/octet-stream', buffer: c.buffer}))
          .withContext(c.name).toBe('error');
      expect(await page.isVisible('#sd-error')).withContext(c.name).toBe(true);
      expect(await page.isVisible('#sd-report')).withContext(c.name).toBe(false);
      expect(await page.textContent('#sd-error')).withContext(c.name).toMatch(c.error);
    }
  }, T);

  it('shows assignStateDict\'s error for a shape mismatch, naming the key', async () => {
    const file = {name: 'bad_head.safetensors', mimeType: 'application/octet-stream',
                  buffer: safetensors({'head.weight': [2, 8, 1, 1, 2], 'head.bias': [2]})};
    expect(await drop(file, 'unet3d')).toBe('error');
    expect(await page.textContent('#sd-error')).toContain(
        'Error(s) in loading state_dict for unet3d:\n\tsize mismatch for head.weight: copying a ' +
        'param with shape torch.Size([2, 8, 1, 1, 2]) from checkpoint, the shape in current ' +
        'model is torch.Size([2, 8, 1, 1, 1]).');
  }, T);

  it('reports per key what a dropped state_dict loaded, and why not', async () => {
    // Part of a U-Net state_dict and a stray key: one loaded, one unexpected, the rest missing;
    // the model still runs (with its initial weights elsewhere), and its output is not PyTorch's.
    const part = {name: 'part.safetensors', mimeType: 'application/octet-stream',
                  buffer: safetensors({'enc0.conv_0.weight': [8, 1, 3, 3, 3],
                                       'extra.weight': [3]})};
    expect(await drop(part)).toBe('ok');
    let r = await rows();
    expect(r.filter(x => x.status === 'loaded').map(x => x.key)).toEqual(['enc0.conv_0.weight']);
    expect(r.filter(x => x.status === 'not-loaded').map(x => x.key)).toEqual(['extra.weight']);
    expect(r.find(x => x.key === 'extra.weight')!.text)
        .toContain("unet3d has no weight 'extra.weight'");
    expect(r.filter(x => x.status === 'missing').length).toBe(55);
    expect(r.find(x => x.key === 'head.bias')!.text).toContain('missing from the file');
    expect(await page.textContent('#sd-summary')).toContain(
        'part.safetensors → unet3d: 1 of 56 weights loaded, 1 unexpected, 55 missing');
    expect(await page.getAttribute('#sd-parity', 'data-status')).toBe('fail');
    // The training checkpoint: the architecture and the prefix found from the keys; the optimizer
    // state is ignored.
    expect(await drop(asset('generator_checkpoint.pt'))).toBe('ok');
    r = await rows();
    expect(r.filter(x => x.status === 'loaded').length).toBe(19);
    expect(r.filter(x => x.status === 'ignored').length).toBeGreaterThan(0);
    expect(r.filter(x => x.status !== 'loaded' && x.status !== 'ignored')).toEqual([]);
    expect(await page.textContent('#sd-summary')).toContain("generator_checkpoint.pt → " +
        "generator (prefix 'model_state_dict.'): 19 of 19 weights loaded");
    expect(await page.getAttribute('#sd-parity', 'data-status')).toBe('pass');
    // The U-Net's own weights: every key loaded, and its output is PyTorch's.
    expect(await drop(asset('unet.pt'))).toBe('ok');
    r = await rows();
    expect(r.length).toBe(56);
    expect(r.every(x => x.status === 'loaded' && x.text!.endsWith('loaded'))).toBe(true);
    expect(await page.textContent('#sd-summary'))
        .toContain('unet.pt → unet3d: 56 of 56 weights loaded');
    expect(await page.getAttribute('#sd-parity', 'data-status')).toBe('pass');
    expect(await page.$eval('#view-source', e => (e as HTMLSelectElement).value)).toBe('user');
    for (const x of await variances('#view-output')) expect(x).toBeGreaterThan(0);
  }, T);

  it('had no uncaught error, CSP violation or failed request; writes the screenshot', async () => {
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    const violations = await page.evaluate(
        () => (globalThis as {cspViolations?: string[]}).cspViolations ?? []);
    expect(violations).toEqual([]);
    const shot = process.env.UPDATE_SCREENSHOT === '1' ? join(root, 'docs', 'demo_web.png') :
                                                         join(dir, 'demo_web.png');
    await page.screenshot({path: shot, fullPage: true});
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  }, T);
});
