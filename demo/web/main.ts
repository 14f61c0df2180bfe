/**
 * The browser demo (`npm run demo:web`, built and served by demo/web/serve.ts): the demo's three
 * PyTorch models (demo/decoder.ts, demo/models.ts) with the weights PyTorch saved, on the backend
 * the user picks (webgpu, webgl, cpu with our WebAssembly core, tfjs-backend-wasm), compared with
 * PyTorch's output shipped beside them (*_io.safetensors) and timed; input and output volumes as
 * three orthogonal slices; a dropped or chosen state_dict assigned with assignStateDict and its
 * per-key report. Everything it loads comes from the served folder.
 *
 * test/demo_web_node_test.ts drives it through these hooks: `#status[data-ready]`
 * ('true' | 'error') and `#status[data-tensors]` (tf.memory().numTensors after the last run or
 * load), `.backend[data-backend]` buttons (disabled + `data-reason` when
 * unavailable), `.badge[data-backend][data-model][data-status]` ('running' | 'pass' | 'fail' |
 * 'error'), `#view-input` / `#view-output` canvases, `#sd-file`, `#sd-report[data-status]`
 * ('ok' | 'error') and `#sd-error`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import {assignStateDict, cpuImplementationReason, getCpuImplementation, loadSafetensors,
        loadStateDict, ready} from '../../src/index.js';
// (src/index.ts exports the layer class `Pad` under the kernel's constant's name.)
import {Conv3D, ConvTranspose3D, Interpolate, MaxPool, NormAffine, NormStats, Pad}
    from '../../src/kernel_names.js';
import {buildDecoder, DECODER_MAPPING, maxDiff} from '../decoder.js';
import {buildGenerator, buildUNet} from '../models.js';

// tfjs-backend-wasm's .wasm files, copied next to the page by serve.ts (no CDN).
setWasmPaths(new URL('./wasm/', location.href).href);

/** Relative tolerance of the parity badge: max |ours − PyTorch| ≤ REL_TOL · max |PyTorch|. */
const REL_TOL = 1e-4;
/** Timed forwards per (backend, model), after WARMUP untimed ones (JIT, shader compilation). */
const RUNS = 5, WARMUP = 2;

const BACKENDS = ['webgpu', 'webgl', 'cpu', 'wasm'] as const;
type BackendName = typeof BACKENDS[number];

/** Every kernel of ours the three models' forwards run (the rest is tfjs' own). */
const MODEL_KERNELS = [ConvTranspose3D, Conv3D, Pad, MaxPool, Interpolate, NormStats, NormAffine];

interface ModelSpec {
  name: string;
  what: string;
  build: () => tf.LayersModel;
  weights: string;
  io: string;
  options: AssignOptions;
}
type AssignOptions = {prefix?: string, mapping?: Record<string, string>, strict?: boolean};
const MODELS: ModelSpec[] = [
  {name: 'unet3d', what: 'MONAI-style 3-D U-Net (Conv3d, Instance/Batch/GroupNorm, max pool, ' +
      'nearest up-sampling, ConvTranspose3d, replicate pad)', build: () => buildUNet(),
   weights: 'unet.pt', io: 'unet_io.safetensors', options: {}},
  {name: 'decoder', what: '3-D decoder (3 × ConvTranspose3d: groups, dilation, output_padding)',
   build: () => buildDecoder(), weights: 'decoder.safetensors', io: 'decoder_io.safetensors',
   options: {mapping: DECODER_MAPPING}},
  {name: 'generator', what: '3D-GAN generator from a training checkpoint (Linear, norms, ' +
      "Conv3d 'same' replicate, ConvTranspose3d)", build: () => buildGenerator(),
   weights: 'generator_checkpoint.pt', io: 'generator_io.safetensors',
   options: {prefix: 'model_state_dict.'}},
];

interface Volume {data: Float32Array; shape: number[]}
interface Assets {weights: Uint8Array; input: Volume; output: Volume; keys: string[]}
interface Result {
  backend: string; model: string; diff: number; scale: number; tol: number; pass: boolean;
  ms: number; output: Volume;
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {},
                                                   ...children: (Node|string)[]) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
const errorText = (e: unknown) => e instanceof Error ? e.message : String(e);
const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

const assets = new Map<string, Assets>();
/** `${backend}/${model}` → its run, or the error it threw. */
const results = new Map<string, Result|{backend: string, model: string, error: string}>();
const available = new Map<BackendName, {ok: boolean, reason: string, label: string}>();
let current: BackendName|null = null;
let busy = false;
/** The output of the user's own weights, when one was loaded (shown as a viewer source). */
let userRun: {model: string, file: string, output: Volume, backend: string}|null = null;

async function fetchBytes(file: string): Promise<Uint8Array> {
  const r = await fetch(`./assets/${file}`);
  if (!r.ok) throw new Error(`could not load assets/${file}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function toVolume(t: tf.Tensor): Promise<Volume> {
  return {data: new Float32Array(await t.data()), shape: [...t.shape]};
}

/** The weights, PyTorch's input and output, and the model's state_dict keys, for each model. */
async function loadAssets() {
  for (const m of MODELS) {
    const [weights, ioBytes] = await Promise.all([fetchBytes(m.weights), fetchBytes(m.io)]);
    const io = loadSafetensors(ioBytes);
    const [input, output] = [await toVolume(io.input), await toVolume(io.output)];
    tf.dispose(Object.values(io));
    // The model's own keys: with an empty state_dict and strict: false, every one is missing.
    const model = m.build();
    const {missingKeys} = assignStateDict(model, {}, {strict: false, mapping: m.options.mapping});
    model.dispose();
    assets.set(m.name, {weights, input, output, keys: missingKeys});
  }
}

/** Runs `fn` with console.warn/error captured; returns its result and what was printed. */
async function capturingConsole<T>(fn: () => Promise<T>): Promise<{value: T, printed: string}> {
  const printed: string[] = [];
  const {warn, error} = console;
  console.warn = (...a: unknown[]) => {
    printed.push(a.map(errorText).join(' '));
    warn(...a);
  };
  console.error = (...a: unknown[]) => {
    printed.push(a.map(errorText).join(' '));
    error(...a);
  };
  try {
    return {value: await fn(), printed: printed.join('; ')};
  } finally {
    Object.assign(console, {warn, error});
  }
}

/** Whether `name` can run the demo here, and if not why (greyed out with that reason). */
async function probe(name: BackendName): Promise<{ok: boolean, reason: string, label: string}> {
  const no = (reason: string) => ({ok: false, reason, label: name});
  if (tf.findBackendFactory(name) == null) {
    return no(`tfjs backend '${name}' is not in this bundle`);
  }
  if (name === 'webgpu' && !('gpu' in navigator)) {
    return no('this browser has no WebGPU (navigator.gpu is missing; Chromium: ' +
              '--enable-unsafe-webgpu, and a secure context)');
  }
  const missing = MODEL_KERNELS.filter(k => tf.getKernel(k, name) == null);
  if (missing.length > 0) {
    return no(`this package registers no ${name} kernel for ${missing.join(', ')} (yet)`);
  }
  let printed = '';
  try {
    const r = await capturingConsole(() => tf.setBackend(name));
    printed = r.printed;
    if (!r.value) throw new Error(printed || 'setBackend returned false');
    await tf.ready();
  } catch (e) {
    return no(`tfjs could not initialise ${name}: ${errorText(e)}`);
  }
  if (name === 'cpu') {
    const core = getCpuImplementation();
    const why = cpuImplementationReason();
    return {ok: true, reason: core === 'wasm' ? 'our WebAssembly SIMD core' :
        `our pure-JS core${why ? `: ${why}` : ''}`, label: `cpu (${core} core)`};
  }
  if (name === 'webgl') {
    const f32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
    return {ok: true, reason: `WebGL ${tf.env().getNumber('WEBGL_VERSION')}, ` +
        `${f32 ? 'float32' : 'float16'} textures`, label: 'webgl'};
  }
  if (name === 'wasm') return {ok: true, reason: 'tfjs-backend-wasm + our cores', label: 'wasm'};
  // tfjs-backend-webgpu keeps the adapter's vendor and architecture (private fields).
  const info = (tf.backend() as {adapterInfo?: {vendor?: string, architecture?: string}})
      .adapterInfo;
  const adapter = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
  return {ok: true, reason: `WebGPU${adapter ? ` (adapter: ${adapter})` : ''}`, label: name};
}

function tolerance(backend: string): number {
  // float16 render targets (some mobile GPUs) carry float16's precision, not float32's.
  return backend === 'webgl' && !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 1e-2 : REL_TOL;
}

/** Median ms of RUNS forwards (each to the data on the CPU), after WARMUP; the last output. */
async function timeForward(model: tf.LayersModel, x: tf.Tensor):
    Promise<{y: tf.Tensor, ms: number}> {
  for (let i = 0; i < WARMUP; i++) {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  }
  const ts: number[] = [];
  let y: tf.Tensor|null = null;
  for (let i = 0; i < RUNS; i++) {
    y?.dispose();
    const t0 = performance.now();
    y = model.predict(x) as tf.Tensor;
    await y.data();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return {y: y!, ms: ts[ts.length >> 1]};
}

/**
 * Builds `spec`, assigns `sd` (not disposed here) with `options`, runs PyTorch's input through it
 * on the current backend: its output, max |ours − PyTorch|, max |PyTorch| and ms per forward.
 */
async function runWith(spec: ModelSpec, sd: tf.NamedTensorMap, options: AssignOptions):
    Promise<{output: Volume, diff: number, scale: number, ms: number}> {
  const a = assets.get(spec.name)!;
  const model = spec.build();
  const x = tf.tensor(a.input.data, a.input.shape);
  const expected = tf.tensor(a.output.data, a.output.shape);
  try {
    assignStateDict(model, sd, options);
    const {y, ms} = await timeForward(model, x);
    const output = await toVolume(y);
    const {diff, scale} = await maxDiff(y, expected);
    y.dispose();
    return {output, diff, scale, ms};
  } finally {
    tf.dispose([x, expected]);
    model.dispose();
  }
}

function badge(backend: string, model: string, status: string, text: string) {
  return el('span', {class: 'badge', 'data-backend': backend, 'data-model': model,
                     'data-status': status, text});
}

function renderResults(running?: {backend: string, model: string}) {
  const body = $('#results tbody');
  body.replaceChildren();
  const rows = [...results.values()];
  const keys = new Set(rows.map(r => `${r.backend}/${r.model}`));
  for (const r of rows) {
    const label = available.get(r.backend as BackendName)?.label ?? r.backend;
    if ('error' in r) {
      body.append(el('tr', {}, el('td', {text: label}), el('td', {text: r.model}),
          el('td', {colspan: '4', class: 'error', text: r.error}),
          el('td', {}, badge(r.backend, r.model, 'error', 'ERROR')), el('td')));
      continue;
    }
    body.append(el('tr', {}, el('td', {text: label}),
        el('td', {text: r.model}), el('td', {text: fmtShape(r.output.shape)}),
        el('td', {class: 'num', text: r.diff.toExponential(2)}),
        el('td', {class: 'num', text: r.scale.toFixed(3)}),
        el('td', {text: `${r.tol.toExponential(0)} × max|PyTorch|`}),
        el('td', {}, badge(r.backend, r.model, r.pass ? 'pass' : 'fail', r.pass ? 'PASS' : 'FAIL')),
        el('td', {class: 'num', text: r.ms.toFixed(2)})));
  }
  if (running && !keys.has(`${running.backend}/${running.model}`)) {
    body.append(el('tr', {}, el('td', {text: running.backend}), el('td', {text: running.model}),
        el('td', {}), el('td', {}), el('td', {}), el('td', {}),
        el('td', {}, badge(running.backend, running.model, 'running', 'running…')),
        el('td', {})));
  }
}

function renderBackends() {
  const box = $('#backends');
  box.replaceChildren();
  for (const name of BACKENDS) {
    const s = available.get(name);
    const b = el('button', {class: 'backend', type: 'button', 'data-backend': name},
                 el('span', {class: 'name', text: s?.label ?? name}),
                 el('span', {class: 'why', text: !s ? 'checking…' :
                                                 s.ok ? s.reason : `unavailable: ${s.reason}`}));
    if (!s?.ok) {
      b.setAttribute('disabled', '');
      if (s) b.setAttribute('data-reason', s.reason);
    }
    if (name === current) b.classList.add('selected');
    b.addEventListener('click', () => void selectBackend(name));
    box.append(b);
  }
}

/** Runs the three models on `name` (the parity badges and times), then redraws the volumes. */
async function selectBackend(name: BackendName) {
  if (busy || !available.get(name)?.ok) return;
  busy = true;
  current = name;
  renderBackends();
  setButtons(false);
  try {
    await tf.setBackend(name);
    await tf.ready();
    for (const m of MODELS) {
      const key = `${name}/${m.name}`;
      results.delete(key);
      renderResults({backend: name, model: m.name});
      const tol = tolerance(name);
      try {
        const sd = loadStateDict(assets.get(m.name)!.weights);
        const r = await runWith(m, sd, m.options).finally(() => tf.dispose(Object.values(sd)));
        results.set(key, {backend: name, model: m.name, tol,
                          pass: r.diff <= tol * Math.max(r.scale, 1e-6), ...r});
        renderResults();
      } catch (e) {
        results.set(key, {backend: name, model: m.name, error: errorText(e)});
        renderResults();
      }
    }
  } finally {
    busy = false;
    setButtons(true);
    noteTensors();
  }
  renderViews(`ours:${name}`);
}

/** The live tensor count, for the test's leak check (nothing outlives a run or a load). */
function noteTensors() {
  $('#status').dataset.tensors = String(tf.memory().numTensors);
}

function setButtons(enabled: boolean) {
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.backend'))) {
    const ok = available.get(b.dataset.backend as BackendName)?.ok;
    b.disabled = !enabled || !ok;
  }
  $<HTMLButtonElement>('#run-all').disabled = !enabled;
}

// ---- volumes as images ----

/** viridis at 9 stops, interpolated. */
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
                 [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
function colour(t: number): [number, number, number] {
  const u = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(u), VIRIDIS.length - 2), f = u - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [0, 1, 2].map(k => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}

/**
 * One viewer: sample and channel pickers, three orthogonal slices (a slider each) of the
 * [N, C, D, H, W] volume (a 2-D [N, F] tensor is shown as D = H = 1, W = F), and the colour
 * scale with its range (the range of the whole shown (sample, channel) volume).
 */
function renderVolume(box: HTMLElement, title: string, v: Volume, note: string) {
  const s = v.shape.length === 5 ? v.shape : [v.shape[0], 1, 1, 1, v.shape[v.shape.length - 1]];
  const [N, C, D, H, W] = s;
  const prev = {n: Number(box.dataset.n ?? 0), c: Number(box.dataset.c ?? 0)};
  let n = Math.min(prev.n, N - 1), c = Math.min(prev.c, C - 1);
  const idx = [D >> 1, H >> 1, W >> 1];
  box.replaceChildren();
  const pick = (label: string, count: number, value: number, set: (i: number) => void) => {
    const sel = el('select', {'aria-label': label});
    for (let i = 0; i < count; i++) sel.append(el('option', {value: String(i), text: String(i)}));
    sel.value = String(value);
    sel.disabled = count === 1;
    sel.addEventListener('change', () => set(Number(sel.value)));
    return el('label', {class: 'sub'}, `${label} `, sel);
  };
  box.append(el('div', {class: 'title'}, title, el('span', {class: 'sub', text: note})));
  const canvases: HTMLCanvasElement[] = [], labels: HTMLElement[] = [];
  const planes = [{axis: 'D', w: W, h: H, shows: 'H × W'},
                  {axis: 'H', w: W, h: D, shows: 'D × W'},
                  {axis: 'W', w: H, h: D, shows: 'D × H'}];
  const sliceBoxes = planes.map((p, a) => {
    const cv = el('canvas', {class: 'slice-canvas', 'data-axis': p.axis});
    cv.width = p.w;
    cv.height = p.h;
    cv.style.height = `${Math.max(4, Math.round(180 * p.h / p.w))}px`;
    const slider = el('input', {type: 'range', min: '0', max: String(s[2 + a] - 1),
                                value: String(idx[a]), 'aria-label': `${p.axis} index`});
    slider.disabled = s[2 + a] === 1;
    const label = el('span');
    slider.addEventListener('input', () => {
      idx[a] = Number(slider.value);
      draw();
    });
    canvases.push(cv);
    labels.push(label);
    return el('div', {class: 'slice'}, label, cv, slider);
  });
  const bar = el('canvas', {class: 'scale-canvas'});
  bar.width = 128;
  bar.height = 1;
  const lo = el('span'), hi = el('span');
  const pickers = el('div', {class: 'pickers'},
      pick('sample', N, n, i => { n = i; box.dataset.n = String(i); draw(); }),
      pick('channel', C, c, i => { c = i; box.dataset.c = String(i); draw(); }));
  box.append(pickers, ...sliceBoxes,
             el('div', {class: 'scale'}, el('span', {text: 'colour scale'}), bar,
                el('div', {class: 'range'}, lo, hi)));
  function draw() {
    const base = (n * C + c) * D * H * W;
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < D * H * W; i++) {
      const x = v.data[base + i];
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const span = max > min ? max - min : 1;
    lo.textContent = min.toPrecision(3);
    hi.textContent = max.toPrecision(3);
    const at = (d: number, h: number, w: number) =>
        (v.data[base + (d * H + h) * W + w] - min) / span;
    planes.forEach((p, a) => {
      const ctx = canvases[a].getContext('2d')!;
      const img = ctx.createImageData(p.w, p.h);
      for (let r = 0; r < p.h; r++) {
        for (let q = 0; q < p.w; q++) {
          const t = a === 0 ? at(idx[0], r, q) : a === 1 ? at(r, idx[1], q) : at(r, q, idx[2]);
          const [R, G, B] = colour(t), o = 4 * (r * p.w + q);
          img.data[o] = R;
          img.data[o + 1] = G;
          img.data[o + 2] = B;
          img.data[o + 3] = 255;
        }
      }
      ctx.putImageData(img, 0, 0);
      labels[a].textContent = `${p.axis} = ${idx[a]} (${p.shows})`;
    });
    const bctx = bar.getContext('2d')!;
    const bimg = bctx.createImageData(128, 1);
    for (let i = 0; i < 128; i++) {
      const [R, G, B] = colour(i / 127);
      bimg.data.set([R, G, B, 255], 4 * i);
    }
    bctx.putImageData(bimg, 0, 0);
  }
  draw();
}

interface Source {id: string; text: string; volume: Volume; note: string}
/** The sources of the output viewer for the chosen model: ours per backend, PyTorch, |diff|. */
function viewSources(model: string): Source[] {
  const a = assets.get(model)!;
  const out: Source[] = [];
  for (const r of results.values()) {
    if (r.model !== model || 'error' in r) continue;
    out.push({id: `ours:${r.backend}`, text: `ours on ${r.backend}`, volume: r.output,
              note: `${fmtShape(r.output.shape)}, computed on ${r.backend}`});
    const diff = r.output.data.map((x, i) => Math.abs(x - a.output.data[i]));
    out.push({id: `diff:${r.backend}`, text: `|ours on ${r.backend} − PyTorch|`,
              volume: {data: diff, shape: r.output.shape}, note: `max ${r.diff.toExponential(2)}`});
  }
  if (userRun && userRun.model === model) {
    out.unshift({id: 'user', text: `your weights (${userRun.file})`, volume: userRun.output,
                 note: `${fmtShape(userRun.output.shape)}, computed on ${userRun.backend}`});
  }
  out.push({id: 'torch', text: 'PyTorch (shipped)', volume: a.output,
            note: `${fmtShape(a.output.shape)}, from ${MODELS.find(m => m.name === model)!.io}`});
  return out;
}

/** Redraws both viewers; `prefer` picks the output source (else the one shown, else ours). */
function renderViews(prefer?: string) {
  const model = $<HTMLSelectElement>('#view-model').value;
  const spec = MODELS.find(m => m.name === model)!;
  const a = assets.get(model)!;
  const sel = $<HTMLSelectElement>('#view-source');
  const sources = viewSources(model);
  const want = sel.value;
  sel.replaceChildren(...sources.map(s => el('option', {value: s.id, text: s.text})));
  const preferred = sources.find(s => s.id === prefer) ?? sources.find(s => s.id === want) ??
      sources.find(s => s.id === `ours:${current}`) ?? sources[0];
  sel.value = preferred.id;
  $('#view-note').textContent = spec.what;
  const z = a.input.shape.length === 2 ? ' latent z' : '';
  renderVolume($('#view-input'), 'input', a.input, `${fmtShape(a.input.shape)}${z}`);
  renderVolume($('#view-output'), `output: ${preferred.text}`, preferred.volume, preferred.note);
}

// ---- the user's state_dict ----

const PREFIXES = ['', 'model_state_dict.', 'state_dict.', 'model.', 'module.'];

/**
 * The model of `candidates` and the prefix under which the most of `keys` are that model's
 * weights (the first on ties; model '' when none matches).
 */
function bestMatch(keys: string[], candidates: ModelSpec[] = MODELS) {
  let best = {model: '', prefix: '', matches: 0};
  for (const m of candidates) {
    const own = new Set(assets.get(m.name)!.keys);
    for (const prefix of PREFIXES) {
      const matches = keys.filter(k => k.startsWith(prefix) && own.has(k.slice(prefix.length)));
      if (matches.length > best.matches) best = {model: m.name, prefix, matches: matches.length};
    }
  }
  return best;
}

function showLoadError(message: string) {
  const box = $('#sd-error');
  box.textContent = message;
  box.hidden = false;
  $('#sd-report').hidden = true;
  $('#sd-report').dataset.status = 'error';
}

async function loadUserFile(file: File) {
  const box = $('#sd-error');
  box.hidden = true;
  const report = $('#sd-report');
  report.dataset.status = 'loading';
  $('#sd-summary').textContent = `reading ${file.name} (${file.size} bytes)…`;
  if (busy) await new Promise<void>(r => {
    const t = setInterval(() => { if (!busy) { clearInterval(t); r(); } }, 50);
  });
  busy = true;
  let sd: tf.NamedTensorMap|null = null;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      sd = loadStateDict(bytes);
    } catch (e) {
      $('#sd-summary').textContent = `${file.name}: not loaded`;
      showLoadError(errorText(e));
      return;
    }
    const keys = Object.keys(sd);
    const choice = $<HTMLSelectElement>('#sd-model').value;
    const auto = bestMatch(keys);
    const modelName = choice === 'auto' ? (auto.model || MODELS[0].name) : choice;
    const spec = MODELS.find(m => m.name === modelName)!;
    const {prefix} = bestMatch(keys, [spec]);
    const options = {strict: false, mapping: spec.options.mapping, ...(prefix ? {prefix} : {})};
    const model = spec.build();
    let r;
    try {
      r = assignStateDict(model, sd, options);
    } catch (e) {
      model.dispose();
      $('#sd-summary').textContent = `${file.name} → ${modelName}: not loaded`;
      showLoadError(errorText(e));
      return;
    }
    model.dispose();
    const unexpected = new Set(r.unexpectedKeys.map(k => prefix + k));
    const ignored = new Set(r.ignoredKeys ?? []);
    const body = report.querySelector('tbody')!;
    body.replaceChildren();
    let loaded = 0;
    for (const k of keys) {
      const t = sd[k];
      let status: string, cls: string;
      if (ignored.has(k)) {
        status = `ignored: outside the prefix '${prefix}'`;
        cls = 'ignored';
      } else if (unexpected.has(k)) {
        status = `not loaded: ${modelName} has no weight '${k.slice(prefix.length)}'`;
        cls = 'not-loaded';
      } else {
        status = 'loaded';
        cls = 'loaded';
        loaded++;
      }
      body.append(el('tr', {'data-key': k},
          el('td', {text: k}), el('td', {text: `${fmtShape(t.shape)} ${t.dtype}`}),
          el('td', {class: cls, text: status, 'data-status': cls})));
    }
    for (const k of r.missingKeys) {
      body.append(el('tr', {'data-key': prefix + k}, el('td', {text: prefix + k}), el('td'),
          el('td', {class: 'not-loaded', 'data-status': 'missing',
                    text: 'not loaded: missing from the file (keeps its initial value)'})));
    }
    report.hidden = false;
    const total = assets.get(modelName)!.keys.length;
    $('#sd-summary').textContent = `${file.name} → ${modelName}` +
        `${prefix ? ` (prefix '${prefix}')` : ''}: ${loaded} of ${total} weights loaded, ` +
        `${r.unexpectedKeys.length} unexpected, ${r.missingKeys.length} missing` +
        `${ignored.size ? `, ${ignored.size} ignored` : ''}` +
        (choice === 'auto' ? ' (architecture chosen by key match)' : '');
    // Run it on the current backend, and compare with PyTorch's output of the shipped weights.
    if (current && r.missingKeys.length < total) {
      const out = await runWith(spec, sd, options);
      userRun = {model: modelName, file: file.name, output: out.output, backend: current};
      const tol = tolerance(current);
      const same = out.diff <= tol * Math.max(out.scale, 1e-6);
      $('#sd-summary').append(el('br'), `ran on ${current}: ${out.ms.toFixed(2)} ms/forward; vs ` +
          `PyTorch's output of the shipped weights max |diff| ${out.diff.toExponential(2)} `,
          el('span', {class: 'badge', id: 'sd-parity', 'data-status': same ? 'pass' : 'fail',
                      text: same ? 'same as shipped' : 'differs from shipped'}));
      $<HTMLSelectElement>('#view-model').value = modelName;
      renderViews('user');
    }
    // Settled (the test waits for this): the report is shown and the run, if any, is done.
    report.dataset.status = 'ok';
  } catch (e) {
    showLoadError(errorText(e));
  } finally {
    if (sd) tf.dispose(Object.values(sd));
    busy = false;
    noteTensors();
  }
}

function wireWeights() {
  const input = $<HTMLInputElement>('#sd-file');
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) void loadUserFile(f);
  });
  // A file dropped beside the drop zone must not navigate the page away to it.
  for (const type of ['dragover', 'drop']) document.addEventListener(type, e => e.preventDefault());
  const drop = $('#drop');
  drop.addEventListener('dragover', e => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void loadUserFile(f);
  });
}

async function main() {
  const status = $('#status');
  $('#runs').textContent = String(RUNS);
  renderBackends();
  await ready();  // our WebAssembly SIMD core for the cpu (and wasm) kernels
  await tf.setBackend('cpu');
  await loadAssets();
  for (const name of BACKENDS) {
    available.set(name, await probe(name));
    renderBackends();
  }
  for (const sel of ['#view-model', '#sd-model']) {
    const s = $<HTMLSelectElement>(sel);
    if (sel === '#sd-model') s.append(el('option', {value: 'auto', text: 'auto (best key match)'}));
    for (const m of MODELS) s.append(el('option', {value: m.name, text: m.name}));
  }
  $('#view-model').addEventListener('change', () => renderViews());
  $('#view-source').addEventListener('change', () => renderViews());
  $('#run-all').addEventListener('click', async () => {
    for (const name of BACKENDS) if (available.get(name)?.ok) await selectBackend(name);
  });
  wireWeights();
  setButtons(true);
  const first = BACKENDS.find(b => available.get(b)?.ok);
  status.textContent = `tfjs ${tf.version.tfjs}; backends available: ` +
      `${BACKENDS.filter(b => available.get(b)?.ok).join(', ') || 'none'}. ` +
      'Pick one to run the models.';
  if (first) await selectBackend(first);
  else renderViews();
  status.dataset.ready = 'true';
}

main().catch(e => {
  const status = $('#status');
  status.textContent = `The demo failed to start: ${errorText(e)}`;
  status.dataset.ready = 'error';
  console.error(e);
});
