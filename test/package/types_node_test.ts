/**
 * Our types as a new user meets them: the packed package installed in a fresh project
 * (consumer.ts), and one consumer file type-checked under every `moduleResolution` a project may
 * use: node10, node16 and nodenext from ESM and from CommonJS, bundler, and what `tsc --init`
 * writes (TypeScript 5.9: nodenext, verbatimModuleSyntax, exactOptionalPropertyTypes). The file
 * uses tfjs' layer arguments (`inputShape`, `name`, `trainable`: they vanish when a deep import
 * into tfjs-layers does not resolve) and has `@ts-expect-error` lines for unknown options, which
 * fail if our types degrade to `any`. Then arethetypeswrong (from npm, a devDependency) on the
 * tarball. Runs the repository's TypeScript (~5.9: npm's TypeScript 7 has no tsc.js to run).
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import ts from 'typescript';
import {consumer, repoRoot, runIn} from './consumer.js';

/** The consumer's code; `IMPORT` becomes an ESM import or a CommonJS `import = require`. */
const BODY = `
const x = tf.ones([1, 2, 3, 3, 3]);
const y: tf.Tensor = ct.convTranspose3d(x, tf.ones([2, 2, 3, 3, 3]), null, {stride: 2});
const args: ct.ConvTranspose3dLayerArgs = {
  inputShape: [2, 3, 3, 3], name: 'up', trainable: true,
  inChannels: 2, outChannels: 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1,
};
const model: tf.Sequential = tf.sequential({layers: [ct.layers.convTranspose3d(args)]});
const up: tf.layers.Layer = ct.layers.convTranspose2d({inChannels: 2, outChannels: 2, kernelSize: [3, 3]});
// @ts-expect-error: tfjs' spelling is not an option of ours (the types are real, not \`any\`)
ct.convTranspose3d(x, x, null, {strides: 2});
// @ts-expect-error: likewise for the layer
ct.layers.convTranspose3d({...args, filters: 2});
const impl: 'js'|'wasm' = ct.getCpuImplementation();
const isReady: Promise<boolean> = ct.ready();
const sd: tf.NamedTensorMap = ct.loadStateDict(new Uint8Array(0));
export const used = [y, model, up, impl, isReady, sd];
`;
const ESM = `import * as tf from '@tensorflow/tfjs';\nimport * as ct from 'tfjs-convtranspose3d';\n`;
const CJS = `import tf = require('@tensorflow/tfjs');\nimport ct = require('tfjs-convtranspose3d');\n`;

// skipLibCheck off, so that an import in our .d.ts files that does not resolve is an error (with
// it on, such a type silently becomes `any`).
const STRICT = {strict: true, noEmit: true, skipLibCheck: false, types: [], target: 'es2020',
                lib: ['es2020', 'dom']};

interface Mode {name: string; file: string; header: string; options: Record<string, unknown>}
const MODES: Mode[] = [
  {name: 'node10 (CommonJS)', file: 'node10/index.ts', header: CJS,
   options: {...STRICT, module: 'commonjs', moduleResolution: 'node10'}},
  {name: 'node16 from ESM', file: 'node16/esm.mts', header: ESM,
   options: {...STRICT, module: 'node16', moduleResolution: 'node16'}},
  {name: 'node16 from CommonJS', file: 'node16/cjs.cts', header: CJS,
   options: {...STRICT, module: 'node16', moduleResolution: 'node16'}},
  {name: 'nodenext from ESM', file: 'nodenext/esm.mts', header: ESM,
   options: {...STRICT, module: 'nodenext', moduleResolution: 'nodenext'}},
  {name: 'nodenext from CommonJS', file: 'nodenext/cjs.cts', header: CJS,
   options: {...STRICT, module: 'nodenext', moduleResolution: 'nodenext'}},
  {name: 'bundler', file: 'bundler/index.ts', header: ESM,
   options: {...STRICT, module: 'esnext', moduleResolution: 'bundler'}},
  // `npx tsc --init` (5.9) in a "type": "module" project, minus jsx and emit settings.
  {name: "tsc --init's defaults (nodenext, ESM project)", file: 'init/index.ts', header: ESM,
   options: {module: 'nodenext', target: 'esnext', types: [], lib: ['esnext', 'dom'],
             noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, strict: true,
             verbatimModuleSyntax: true, isolatedModules: true,
             noUncheckedSideEffectImports: true, moduleDetection: 'force', skipLibCheck: true,
             noEmit: true}},
];

describe('the packed package, installed in a fresh project', () => {
  // One TypeScript program per mode, in this process, sharing parsed files (tfjs' .d.ts files
  // are most of the work); diagnostics are asked for the consumer's file and our .d.ts files
  // only: tfjs' own .d.ts files do not pass a full check (its users set skipLibCheck), and
  // checking only ours is what keeps this to seconds.
  const cache = new Map<string, ts.SourceFile|undefined>();
  function check(mode: Mode): string[] {
    const {dir} = consumer();
    const sub = join(dir, mode.file.split('/')[0]);
    mkdirSync(sub, {recursive: true});
    if (mode.file.startsWith('init/')) writeFileSync(join(sub, 'package.json'), '{"type": "module"}\n');
    const root = join(dir, mode.file);
    writeFileSync(root, mode.header + BODY);
    const {options, errors} = ts.convertCompilerOptionsFromJson(mode.options, sub);
    expect(errors.length).toBe(0);
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, langOrOptions, ...rest) => {
      const format = typeof langOrOptions === 'object' ? langOrOptions.impliedNodeFormat : '';
      const key = `${name}|${JSON.stringify(langOrOptions)}|${format}`;
      if (!cache.has(key)) cache.set(key, getSourceFile(name, langOrOptions, ...rest));
      return cache.get(key);
    };
    const program = ts.createProgram({rootNames: [root], options, host});
    const ours = program.getSourceFiles().filter(
        f => f.fileName === root || f.fileName.includes('/node_modules/tfjs-convtranspose3d/'));
    expect(ours.length).withContext('our .d.ts files in the program').toBeGreaterThan(20);
    const diagnostics = [
      ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(),
      ...ours.flatMap(f => [...program.getSyntacticDiagnostics(f),
                            ...program.getSemanticDiagnostics(f)]),
    ];
    return diagnostics.map(d => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file == null) return text;
      const {line, character} = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${d.file.fileName.slice(dir.length + 1)}(${line + 1},${character + 1}): ${text}`;
    });
  }

  for (const mode of MODES) {
    it(`type-checks a consumer under ${mode.name}`, () => {
      expect(check(mode)).withContext(mode.file).toEqual([]);
    }, 120000);
  }

  it('passes arethetypeswrong (every resolution mode, ESM and CJS)', async () => {
    const attw = join(repoRoot, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const r = await runIn(repoRoot, process.execPath,
                          [attw, consumer().tarball, '--format', 'json'], 120000);
    const report = JSON.parse(r.stdout) as {problems?: Record<string, unknown>|unknown[]};
    expect(Object.values(report.problems ?? {})).withContext(r.stdout.slice(0, 2000)).toEqual([]);
    expect(r.code).withContext(r.stderr).toBe(0);
  }, 120000);
});
