/**
 * The two builds of the WebAssembly core (plain SIMD and relaxed SIMD, kernels/simd/simd_core.ts)
 * and how one is chosen: setCpuCoreBuild's and TFJS_CT3D_SIMD's checks, 'auto' taking relaxed
 * only where the engine has it (Node 20: --experimental-wasm-relaxed-simd), 'relaxed' refused
 * where it has not, the thread pool following the core's build without leaking workers, and the
 * conv parity suites (PyTorch fixtures) passing on the relaxed build, one thread and two, in a
 * child Node with the flag. The browser suite covers both builds too (`cpu`: relaxed in
 * Chromium, `cpu:plain`; test/core_builds_browser_test.ts).
 */
import {spawn} from 'node:child_process';
import {cpuCoreBuild, setCpuCoreBuild} from '../src/index.js';
import {cpuCoreBuildSetting} from '../kernels/simd/simd_core.js';
import {CORE_RELAXED_WASM_BASE64} from '../kernels/simd/core_relaxed_wasm.js';

const FLAG = '--experimental-wasm-relaxed-simd';
/** Node's own flag for relaxed SIMD where this Node needs one (20), else none (22+ has it on). */
const relaxedFlags = WebAssembly.validate(Buffer.from(CORE_RELAXED_WASM_BASE64, 'base64')) ?
    [] : [FLAG];

interface Run {
  code: number|null;
  stdout: string;
  stderr: string;
}

function node(args: string[], env: Record<string, string>, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {env: {...process.env, TFJS_CT3D_SIMD: '', ...env},
                                                 stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => stdout += String(d));
    child.stderr.on('data', (d: Buffer) => stderr += String(d));
    child.on('error', reject);
    child.on('exit', code => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
  });
}

/** test/core_builds_child.ts' JSON line, with Node flags `flags`. */
async function child(flags: string[], env: Record<string, string> = {}, arg?: string) {
  const r = await node([...flags, '--import', 'tsx', 'test/core_builds_child.ts',
                        ...(arg ? [arg] : [])], env, 60000);
  expect(r.code).withContext(r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const NO_RELAXED = /^this engine's WebAssembly has no relaxed SIMD \(WebAssembly\.validate refuses the relaxed build; .*--experimental-wasm-relaxed-simd\)$/;

describe('setCpuCoreBuild', () => {
  let before: ReturnType<typeof cpuCoreBuildSetting>;
  beforeAll(() => before = cpuCoreBuildSetting());
  afterAll(() => setCpuCoreBuild(before));

  it('refuses anything but auto, relaxed and plain, naming the function and the value', () => {
    const build = cpuCoreBuild();
    const cases: Array<[unknown, string]> = [
      ['fast', '"fast"'], ['Relaxed', '"Relaxed"'], ['', '""'], ['js', '"js"'],
      [undefined, 'undefined'], [null, 'null'], [1, '1'], [true, 'true'],
    ];
    for (const [v, shown] of cases) {
      expect(() => setCpuCoreBuild(v as 'auto')).toThrowError(
          `setCpuCoreBuild: expected 'auto', 'relaxed' or 'plain', but got ${shown}`);
    }
    expect(cpuCoreBuild()).withContext('unchanged').toBe(build);
  });

  it('\'plain\' loads the plain build at once in Node', () => {
    setCpuCoreBuild('plain');
    expect(cpuCoreBuild()).toBe('plain');
  });
});

describe('choosing the core\'s build', () => {
  it('without relaxed SIMD (Node 20, no flag): auto gives plain, saying why; relaxed throws', async () => {
    if (relaxedFlags.length === 0) {
      pending('this Node has relaxed SIMD on: it cannot be run without it');
      return;
    }
    const r = await child([]);
    expect(r.build).toBe('plain');
    expect(r.reason).toMatch(NO_RELAXED);
    expect(r.setRelaxed.error).toMatch(
        /^setCpuCoreBuild\('relaxed'\): the relaxed-SIMD build of the WebAssembly core cannot run here: this engine's WebAssembly has no relaxed SIMD .*; use 'auto' or 'plain'$/);
    expect(r.setRelaxed.build).withContext('left as it was').toBe('plain');
    expect(r.setPlain.build).toBe('plain');
    expect(r.setAuto.build).toBe('plain');
    const forced = await child([], {TFJS_CT3D_SIMD: 'relaxed'});
    expect(forced.importError).toMatch(
        /^TFJS_CT3D_SIMD=relaxed: the relaxed-SIMD build of the WebAssembly core cannot run here: this engine's WebAssembly has no relaxed SIMD/);
  }, 120000);

  it('with relaxed SIMD: auto gives relaxed; each setting loads its build', async () => {
    const r = await child(relaxedFlags);
    expect(r.build).toBe('relaxed');
    expect(r.reason).toBeNull();
    expect(r.setRelaxed).toEqual({build: 'relaxed'});
    expect(r.setPlain).toEqual({build: 'plain'});
    expect(r.setAuto).toEqual({build: 'relaxed'});
    const plain = await child(relaxedFlags, {TFJS_CT3D_SIMD: 'plain'});
    expect(plain.build).toBe('plain');
    expect(plain.reason).toBe(
        'setCpuCoreBuild(\'plain\') (or TFJS_CT3D_SIMD=plain) chose the plain build');
    const relaxed = await child(relaxedFlags, {TFJS_CT3D_SIMD: 'relaxed'});
    expect(relaxed.build).toBe('relaxed');
  }, 120000);

  it('TFJS_CT3D_SIMD takes auto, relaxed or plain and names anything else', async () => {
    for (const v of ['fast', 'RELAXED', ' plain']) {
      expect((await child(relaxedFlags, {TFJS_CT3D_SIMD: v})).importError).toBe(
          `TFJS_CT3D_SIMD: expected 'auto', 'relaxed' or 'plain', but got ${JSON.stringify(v)}`);
    }
    expect((await child(relaxedFlags, {TFJS_CT3D_SIMD: 'auto'})).build).toBe('relaxed');
  }, 120000);

  it('the thread pool runs the shared build of the core\'s build, across switches, leaking no worker', async () => {
    const r = await child(relaxedFlags, {}, 'switch');
    expect(r.steps.map((s: {core: string}) => s.core))
        .toEqual(['relaxed', 'plain', 'relaxed', 'plain', 'relaxed']);
    for (const s of r.steps) {
      expect(s.pool).withContext(`after setCpuCoreBuild('${s.set}')`).toBe(s.core);
      expect(s.threaded).withContext('the call ran on two threads').toBe(1);
      expect(s.err).withContext('max |threaded − JS core|').toBeLessThan(1e-4);
      // Where the hardware fuses (r.buildsDiffer), this tells the two shared builds apart.
      expect(s.bitwiseAsOneThread).withContext(`the workers ran the ${s.core} build`).toBe(true);
    }
    expect(r.poolWorkers).toBe(1);
    expect(r.liveWorkers).withContext('workers of released pools terminated').toBe(1);
  }, 120000);
});

describe('the conv parity suites on the relaxed-SIMD build', () => {
  it('pass on one thread and two (a child Node with TFJS_CT3D_SIMD=relaxed)', async () => {
    // The conv suites and the thread pool's edge cases, minus the specs that start Node
    // processes of their own; every label that runs the core: cpu (one thread, implicit and
    // cols paths), cpu:2t and wasm:2t (the shared relaxed build), wasm; and the micro-kernels'
    // row tiles (core_tiles_test.ts: the relaxed build's 5-row tiles exist only there).
    const r = await node([
      ...relaxedFlags, '--import', 'tsx', 'node_modules/jasmine/bin/jasmine.js',
      '--config=jasmine.json', '--helper=core_build_report.ts',
      'test/conv_transpose3d_test.ts', 'test/gradients_test.ts', 'test/conv_2d_1d_test.ts',
      'test/threads_node_test.ts', 'test/core_tiles_test.ts',
      '--filter=^(?!setNumThreads|a Node process)',
    ], {TFJS_CT3D_SIMD: 'relaxed', TFJS_CT3D_TEST_BACKENDS: 'cpu,cpu:cols,cpu:2t,wasm,wasm:2t'},
    240000);
    const summary = /jasmine: (\d+) passed, (\d+) failed/.exec(r.stdout);
    expect(summary).withContext(r.stdout + r.stderr).not.toBeNull();
    expect(r.code).withContext(r.stdout.slice(-4000)).toBe(0);
    expect(Number(summary![2])).withContext(r.stdout.slice(-4000)).toBe(0);
    expect(Number(summary![1])).toBeGreaterThan(1000);
    const report = /core builds: (\{.*\})/.exec(r.stdout);
    expect(report).withContext(r.stdout.slice(-2000)).not.toBeNull();
    const used = JSON.parse(report![1]);
    expect(used.core).toBe('relaxed');
    expect(used.pool).toBe('relaxed');
    expect(used.threadedCalls).toBeGreaterThan(100);
  }, 300000);
});
