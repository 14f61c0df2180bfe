/**
 * The tarball `npm pack` makes, as a new user gets it (consumer.ts: packed, installed in a fresh
 * project beside tfjs): the ESM and CommonJS entry points load and work in a fresh Node process,
 * quietly; the published package.json has no lifecycle script (those need scripts/, which is not
 * shipped; npm 11 lists such packages in every consumer's install); the source maps resolve to
 * shipped files; the file list holds what the entry points need and none of the repository's
 * tests, benchmarks or tools. Types: types_node_test.ts.
 */
import {copyFileSync, readFileSync} from 'node:fs';
import {dirname, join, normalize} from 'node:path';
import {consumer, readJson, runIn} from './consumer.js';

/** tfjs-backend-cpu's advice to install tfjs-node, printed once per process on first use. */
const TFJS_BANNER = /\n?=+\nHi, looks like you are running TensorFlow\.js in Node\.js\.[^]*?\n=+\n?/;

/** npm's lifecycle scripts (run by `npm install`, `pack`, `publish`, … in the package's dir). */
const LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare',
                   'postprepare', 'prepack', 'postpack', 'prepublishOnly', 'publish',
                   'postpublish', 'dependencies'];

for (const file of ['smoke.cjs', 'smoke.mjs']) {
  describe(`the installed package (${file.endsWith('cjs') ? 'require' : 'import'})`, () => {
    it('registers kernels and gradients and exports the ops, layers and ready(), quietly', async () => {
      const {dir} = consumer();
      copyFileSync(join('test', 'package', file), join(dir, file));
      const r = await runIn(dir, process.execPath, [file]);
      expect(r.code).withContext(r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
      // No padding, so every (input voxel, tap) product lands: 2 channels · 2 · 27 voxels · 27 taps.
      expect(summary.y).toEqual([1, 2, 7, 7, 7]);
      expect(summary.sum).toBe(2 * 2 * 27 * 27);
      expect(summary.g).toEqual([1, 2, 3, 3, 3]);
      expect(summary.ready).toBe(true);
      expect(summary.threads).withContext('two threads give the one-thread result').toBe(true);
      expect(summary.numThreads).withContext('the workers started from the bundle').toBe(2);
      expect(summary.layer).toBe('PtConvTranspose1d');
      // Nothing of ours on stderr (no duplicate kernel registrations, no wasm-core warning).
      expect(r.stderr.replace(TFJS_BANNER, '').trim()).toBe('');
    }, 60000);
  });
}

describe('the packed tarball', () => {
  it('has no lifecycle script, and every entry point it names is in it', () => {
    const {pkg, files} = consumer();
    const json = readJson(join(pkg, 'package.json'));
    expect(Object.keys(json.scripts ?? {}).filter(s => LIFECYCLE.includes(s))).toEqual([]);
    const targets: string[] = [json.main, json.module, json.types];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v != null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(json.exports);
    for (const t of targets) expect(files).withContext(t).toContain(normalize(t));
    // The CommonJS types are read as CommonJS (types_node_test.ts checks it from a consumer).
    expect(readJson(join(pkg, 'dist', 'types-cjs', 'package.json'))).toEqual({type: 'commonjs'});
  });

  it('ships the code and docs, not the tests, benchmarks, tools or the wasm source', () => {
    const {files} = consumer();
    for (const f of ['README.md', 'CHANGELOG.md', 'package.json', 'dist/index.mjs',
                     'dist/index.cjs', 'src/index.ts', 'kernels/simd/core_wasm.ts']) {
      expect(files).toContain(f);
    }
    const unwanted = files.filter(f => /^(test|bench|demo|scripts|\.ci|node_modules)\/|^kernels\/simd\/assembly\/|\.tgz$|_test\.ts$/.test(f));
    expect(unwanted).toEqual([]);
    // The README's links into the repository resolve in the package too.
    const readme = readFileSync(join(consumer().pkg, 'README.md'), 'utf8');
    for (const [, link] of readme.matchAll(/\]\(((?:docs|src|kernels)\/[^)#\s]+)/g)) {
      expect(files).withContext(`README link ${link}`).toContain(link);
    }
  });

  it('has source maps whose sources are shipped, and embedded verbatim', () => {
    const {pkg, files} = consumer();
    const maps = files.filter(f => f.endsWith('.map'));
    expect(maps.sort()).toEqual(['dist/index.cjs.map', 'dist/index.mjs.map']);
    for (const m of maps) {
      const map = readJson(join(pkg, m)) as {sources: string[], sourcesContent?: string[]};
      expect(map.sources.length).toBeGreaterThan(10);
      map.sources.forEach((s, i) => {
        const path = normalize(join(dirname(m), s));
        expect(files).withContext(`${m}: ${s}`).toContain(path);
        if (files.includes(path)) {
          expect(map.sourcesContent?.[i] === readFileSync(join(pkg, path), 'utf8'))
              .withContext(`${m}: the embedded text of ${s} is the shipped file`).toBe(true);
        }
      });
    }
  });
});
