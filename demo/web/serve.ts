/**
 * `npm run demo:web`: builds the browser demo (demo/web/index.html + main.ts, bundled by esbuild
 * with @tensorflow/tfjs, tfjs-backend-webgpu, tfjs-backend-wasm and this package) into a
 * self-contained folder (default dist-demo/: the page, its script and stylesheet, demo/assets and
 * tfjs-backend-wasm's .wasm files; nothing is fetched from elsewhere) and serves it on 127.0.0.1.
 *
 *   npm run demo:web                      # build, serve on http://127.0.0.1:8080/
 *   npm run demo:web -- --port 0          # any free port
 *   npm run demo:web -- --build-only      # build dist-demo/ and exit
 *   npm run demo:web -- --out DIR         # build into DIR instead
 *
 * test/demo_web_node_test.ts uses buildDemoWeb and serveDemoWeb.
 */
import {build} from 'esbuild';
import {cpSync, createReadStream, mkdirSync, readdirSync, rmSync, statSync} from 'node:fs';
import {createServer, Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {createRequire} from 'node:module';
import {dirname, extname, join, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(import.meta.url);

/**
 * The page's Content-Security-Policy, sent as a header and (the same text) in index.html's meta
 * tag. 'wasm-unsafe-eval' is there because WebAssembly compilation counts as eval for CSP: our
 * cpu kernels' WebAssembly SIMD core (`ready()` compiles it) and tfjs-backend-wasm both compile
 * modules; without it the cpu backend falls back to the JS core and the wasm backend fails. No
 * 'unsafe-eval', no inline script, nothing from another origin.
 */
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
    "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'";

/** Builds the demo into `outDir` (emptied first); returns its absolute path. */
export async function buildDemoWeb(outDir = join(root, 'dist-demo')): Promise<string> {
  const out = resolve(outDir);
  rmSync(out, {recursive: true, force: true});
  mkdirSync(out, {recursive: true});
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(out, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    sourcemap: true,
    // The package's "sideEffects" list names only its published entry points; the kernel
    // registrations reached from src/ must stay in the bundle (as karma.conf.js does).
    ignoreAnnotations: true,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) cpSync(join(here, f), join(out, f));
  cpSync(join(root, 'demo', 'assets'), join(out, 'assets'), {recursive: true});
  // tfjs-backend-wasm's modules, served from ./wasm/ (main.ts calls setWasmPaths('./wasm/')).
  const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  mkdirSync(join(out, 'wasm'));
  for (const f of readdirSync(wasmDist).filter(f => f.endsWith('.wasm'))) {
    cpSync(join(wasmDist, f), join(out, 'wasm', f));
  }
  return out;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.json': 'application/json',
  '.wasm': 'application/wasm', '.png': 'image/png',
};

/**
 * Serves `dir` (GET/HEAD only, files under it only) on `host:port` (port 0: a free one).
 * Resolves once listening, with the server and the page's URL.
 */
export function serveDemoWeb(dir: string, port = 8080, host = '127.0.0.1'):
    Promise<{server: Server, url: string}> {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8'});
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request');
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = resolve(base, `.${path}`);
    if (!file.startsWith(base + sep)) return send(403, 'forbidden');
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return send(404, 'not found');
      size = st.size;
    } catch {
      return send(404, 'not found');
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const {port: p} = server.address() as AddressInfo;
      ok({server, url: `http://${host}:${p}/`});
    });
  });
}

async function main(argv: string[]) {
  let port = 8080, out: string|undefined, buildOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--build-only') {
      buildOnly = true;
    } else if (a === '--port' && i + 1 < argv.length && /^\d+$/.test(argv[i + 1])) {
      port = Number(argv[++i]);
    } else if (a === '--out' && i + 1 < argv.length) {
      out = argv[++i];
    } else {
      throw new Error(`demo:web: unknown argument '${a}' (use --build-only, --port N, --out DIR)`);
    }
  }
  const dir = await buildDemoWeb(out);
  console.log(`built ${dir}`);
  if (buildOnly) return;
  const {url} = await serveDemoWeb(dir, port);
  console.log(`serving ${dir} at ${url}  (Ctrl-C to stop)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch(e => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
