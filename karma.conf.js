// Browser test suite: the Node specs (test/**/*_test.ts, minus the Node-only *_node_test.ts)
// bundled by esbuild and run with jasmine in headless Chromium (WebGL 2 through SwiftShader), on
// the cpu and webgl backends (test/setup_browser.ts). `npm run test:browser`.
import {mkdirSync} from 'node:fs';
import {homedir, tmpdir} from 'node:os';
import {join, relative, resolve, isAbsolute} from 'node:path';
import {fileURLToPath} from 'node:url';
import {findChrome} from './scripts/find-chrome.mjs';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)));

// karma-esbuild writes its bundle under os.tmpdir() and cannot resolve the specs when the project
// itself lives there (CI may clone into /tmp): move the temp dir elsewhere in that case.
const rel = relative(resolve(tmpdir()), root);
if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
  const dir = join(homedir(), '.cache', 'tfjs-convtranspose3d-karma');
  mkdirSync(dir, {recursive: true});
  process.env.TMPDIR = dir;
}

let chrome;
try {
  chrome = findChrome();
} catch (e) {
  console.error(`\n${e.message}\n`);
  process.exit(1);
}
process.env.CHROME_BIN = chrome;

const files = (process.env.KARMA_FILES ?? 'test/setup_browser.ts,test/**/*_test.ts').split(',');

/**
 * The suite's output, for a person: karma's base reporter (browser errors, console output, each
 * failure with its log) with a dot per spec, and one closing line CI can read: "karma: N passed,
 * N failed, N skipped". Replaces 'dots', whose "Executed N of M" line would be a second summary.
 */
function SummaryReporter(baseReporterDecorator) {
  baseReporterDecorator(this);
  let passed = 0, failed = 0, skipped = 0, column = 0;
  const dot = c => this.write(c + (++column % 80 === 0 ? '\n' : ''));
  // Messages (failures, errors, browser console lines) start on a line of their own.
  const writeCommonMsg = this.writeCommonMsg;
  this.writeCommonMsg = (...args) => {
    if (column % 80 !== 0) this.write('\n');
    column = 0;
    writeCommonMsg.apply(this, args);
  };
  this.specSuccess = () => {
    passed++;
    dot('.');
  };
  this.specSkipped = () => {
    skipped++;
    dot('*');
  };
  const specFailure = this.specFailure;
  this.specFailure = (browser, result) => {
    failed++;
    specFailure(browser, result);
  };
  this.onBrowserComplete = () => {};
  this.onRunComplete = (browsers, results) => {
    const broken = results.error || results.disconnected ? ' (the run did not complete)' : '';
    this.write(`${column % 80 === 0 ? '' : '\n'}karma: ${passed} passed, ${failed} failed, ` +
               `${skipped} skipped${broken}\n`);
  };
}
SummaryReporter.$inject = ['baseReporterDecorator'];

export default function(config) {
  config.set({
    basePath: root,
    frameworks: ['jasmine'],
    plugins: ['karma-jasmine', 'karma-esbuild', 'karma-chrome-launcher',
              {'reporter:summary': ['type', SummaryReporter]}],
    // The setup file first (its imports and global beforeAll; the backend list does not depend on
    // the order: see test/util.ts testBackends).
    files: [
      ...files.map(pattern => ({pattern, watched: false})),
      // The demo's PyTorch files, fetched by the whole-model specs (models_browser_test.ts).
      {pattern: 'demo/assets/*', included: false, served: true, watched: false},
    ],
    // Node-only specs (they may import node:fs etc.) are named *_node_test.ts.
    exclude: ['test/**/*_node_test.ts'],
    preprocessors: {'test/**/*.ts': ['esbuild'], 'bench/**/*.ts': ['esbuild']},
    // ignoreAnnotations: the package's "sideEffects" list names only the published entry points;
    // without it esbuild would drop the spec modules (bare imports of side-effect-free files).
    esbuild: {target: 'es2020', sourcemap: false, ignoreAnnotations: true},
    reporters: ['summary'],
    // karma's INFO lines (server started, browser connected, …) are not the tests' output.
    logLevel: config.LOG_WARN,
    browsers: ['ChromiumHeadlessCI'],
    customLaunchers: {
      ChromiumHeadlessCI: {
        base: 'ChromeHeadless',
        flags: [
          '--no-sandbox',  // we run as root in CI containers
          '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
          '--disable-background-networking', '--disable-component-update', '--disable-sync',
          '--disable-quic', '--no-first-run',
          // WebGPU (tfjs-backend-webgpu) on Chromium's SwiftShader adapter.
          '--enable-unsafe-webgpu',
        ],
      },
    },
    // KARMA_ISOLATED=1: the pages are cross-origin isolated (COOP/COEP), so SharedArrayBuffer
    // and the thread pool (kernels/simd/threads.ts, test/threads_browser_test.ts) are there.
    customHeaders: process.env.KARMA_ISOLATED === '1' ? [
      {match: '.*', name: 'Cross-Origin-Opener-Policy', value: 'same-origin'},
      {match: '.*', name: 'Cross-Origin-Embedder-Policy', value: 'require-corp'},
    ] : [],
    client: {
      jasmine: {random: false, timeoutInterval: 120000},
      // KARMA_BACKENDS=webgpu,cpu …: the parity suites' backends (test/util.ts testBackends).
      backends: process.env.KARMA_BACKENDS ? process.env.KARMA_BACKENDS.split(',') : undefined,
      captureConsole: true,
    },
    singleRun: true,
    autoWatch: false,
    concurrency: 1,
    captureTimeout: 180000,
    browserNoActivityTimeout: 600000,
    browserDisconnectTimeout: 60000,
    browserDisconnectTolerance: 0,
  });
}
