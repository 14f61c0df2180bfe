/**
 * README.md's code blocks work as written. Every fenced ```ts / ```js block is a program of its
 * own (a module: its `const`s do not meet the other blocks'), complete with its imports; each is
 * type-checked (strict) and run in Node, in this process, with `tfjs-convtranspose3d` meaning
 * this repository's src/ and the working directory the repository's root (a block may read
 * demo/assets/*). Blocks in other languages (sh, python, plain) are not touched.
 *
 * A block can be marked by an HTML comment on the last non-blank line before its fence (it does
 * not show on GitHub or npm); several words may be combined (`continues browser`):
 *
 *   <!-- readme-test: continues -->      this block goes on from the previous ts/js block (that
 *                                        one's code runs first, in the same module); say so in
 *                                        the README's prose too
 *   <!-- readme-test: browser -->        browser-only (indexeddb://, fetch of a page-relative
 *                                        URL, …): type-checked, not run
 *   <!-- readme-test: skip REASON -->    neither (REASON required, e.g. needs tfjs-node)
 *
 * Unknown words fail the test, so a typo cannot silently skip a block. A shape comment ending a
 * `const` statement (`const y = convTranspose3d(…);  // [1, 33, 16, 16, 16]`, digits only) is
 * checked against the tensor's shape when the block runs.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import ts from 'typescript';

interface Block {/** 1-based line of the opening fence. */ line: number; lang: string; code: string; marks: string[]; skip?: string}

const root = resolve('.');
const README = readFileSync(join(root, 'README.md'), 'utf8');

/** The ts/js blocks, with their marks and, for continuations, the code they continue. */
export function readmeBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (open == null) continue;
    const [, indent, lang] = open;
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    const body = lines.slice(i + 1, j).map(l => l.startsWith(indent) ? l.slice(indent.length) : l);
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const mark = k >= 0 ? /^\s*<!--\s*readme-test:\s*(.*?)\s*-->\s*$/.exec(lines[k]) : null;
    i = j;
    if (!/^(ts|typescript|js|javascript)$/.test(lang)) continue;
    const block: Block = {line: i - body.length, lang, code: body.join('\n'), marks: []};
    const words = mark?.[1] ?? '';
    const skip = /(?:^|\s)skip(?:\s+(.*))?$/.exec(words);
    if (skip) block.skip = skip[1] ?? '';
    block.marks = words.replace(/(?:^|\s)skip(?:\s+.*)?$/, '').split(/\s+/).filter(w => w);
    if (block.marks.includes('continues')) {
      const before = blocks[blocks.length - 1];
      if (before == null) throw new Error(`README.md:${block.line}: "continues" the first block`);
      block.code = `${before.code}\n${block.code}`;
    }
    blocks.push(block);
  }
  return blocks;
}

const blocks = readmeBlocks(README);
const require = createRequire(join(root, 'package.json'));

/** Bare specifiers to absolute URLs, so that the block runs from a temporary directory. */
function forRunning(code: string): string {
  return code.replace(/(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"./][^'"]*)\2/g,
                      (all, head: string, q: string, spec: string) => {
    if (spec.startsWith('node:')) return all;
    const file = spec === 'tfjs-convtranspose3d' ? join(root, 'src', 'index.ts') :
                                                   require.resolve(spec);
    return `${head}${q}${pathToFileURL(file).href}${q}`;
  });
}

/** `const y = …; // [1, 33, 16, 16, 16]` claims, by variable (the comment may end a later line). */
export function shapeClaims(code: string): Map<string, number[]> {
  const claims = new Map<string, number[]>();
  let last: string|null = null;
  for (const line of code.split('\n')) {
    const decl = /^\s*(?:export\s+)?const\s+(\w+)\s*=/.exec(line);
    if (decl) last = decl[1];
    const shape = /\/\/\s*\[([\d,\s]+)\]\s*$/.exec(line);
    if (shape && last != null) claims.set(last, shape[1].split(',').map(Number));
    if (/;\s*(\/\/.*)?$/.test(line)) last = null;  // the statement ends here
  }
  return claims;
}

const name = (b: Block) => `block_${b.line}.m${b.lang.startsWith('j') ? 'js' : 'ts'}`;

describe('the README block reader', () => {
  it('reads marks, joins continuations, keeps skip reasons and ignores other languages', () => {
    const md = ['```ts', 'const a = 1;', '```', '<!-- readme-test: continues browser -->', '',
                '```ts', 'const b = a;', '```', '```sh', 'npm test', '```',
                '<!-- readme-test: skip needs tfjs-node -->', '```js', 'x();', '```',
                '<!-- readme-test: contniues -->', '  ```ts', '  const c = 2;', '  ```'].join('\n');
    const bs = readmeBlocks(md);
    expect(bs.map(b => [b.line, b.lang, b.code, b.marks, b.skip])).toEqual([
      [1, 'ts', 'const a = 1;', [], undefined],  // line: the opening fence's
      [6, 'ts', 'const a = 1;\nconst b = a;', ['continues', 'browser'], undefined],
      [13, 'js', 'x();', [], 'needs tfjs-node'],
      [17, 'ts', 'const c = 2;', ['contniues'], undefined],  // refused by the spec below
    ]);
    expect(shapeClaims('const y = f(x,\n  z);  // [1, 2, 3]\nconst w = g(); // [C, 3]'))
        .toEqual(new Map([['y', [1, 2, 3]]]));
  });
});

describe('README.md code blocks', () => {
  it('are found, and every mark is known and every skip gives its reason', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const b of blocks) {
      expect(b.marks.filter(m => m !== 'continues' && m !== 'browser'))
          .withContext(`README.md:${b.line}: unknown readme-test words`).toEqual([]);
      if (b.skip != null) {
        expect(b.skip.length).withContext(`README.md:${b.line}: skip needs a reason`)
            .toBeGreaterThan(5);
      }
    }
  });

  // One program for every block (tfjs' and our types are parsed once): the blocks are virtual
  // files beside README.md, so that imports resolve from the repository.
  let diagnostics: Map<string, string[]>;
  beforeAll(() => {
    const files = new Map(blocks.filter(b => b.skip == null)
                              .map(b => [join(root, '.readme', name(b)), b.code]));
    const options: ts.CompilerOptions = {
      strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
      moduleDetection: ts.ModuleDetectionKind.Force, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'], allowJs: true, checkJs: false, esModuleInterop: true,
      baseUrl: root, paths: {'tfjs-convtranspose3d': ['./src/index.ts']},
    };
    const host = ts.createCompilerHost(options);
    const {fileExists, readFile, getSourceFile} = host;
    host.fileExists = f => files.has(f) || fileExists.call(host, f);
    host.readFile = f => files.get(f) ?? readFile.call(host, f);
    host.getSourceFile = (f, lang, ...rest) => files.has(f) ?
        ts.createSourceFile(f, files.get(f)!, lang, true) : getSourceFile.call(host, f, lang, ...rest);
    const program = ts.createProgram({rootNames: [...files.keys()], options, host});
    diagnostics = new Map([...files.keys()].map(f => {
      const sf = program.getSourceFile(f)!;
      const ds = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      return [f, ds.map(d => {
        const {line} = sf.getLineAndCharacterOfPosition(d.start ?? 0);
        return `line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      })];
    }));
  }, 120000);

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfjs-ct3d-readme-'));
  });
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  for (const b of blocks) {
    if (b.skip != null) continue;
    const browser = b.marks.includes('browser');
    const what = `README.md:${b.line} (${b.lang}${b.marks.length ? ', ' + b.marks.join(', ') : ''})`;
    it(`${what} type-checks${browser ? ' (browser-only: not run)' : ' and runs in Node'}`, async () => {
      const file = join(root, '.readme', name(b));
      if (!b.lang.startsWith('j')) {
        expect(diagnostics.get(file)).withContext(`${what}\n${b.code}`).toEqual([]);
      }
      if (browser) return;
      const path = join(dir, name(b));
      const claims = shapeClaims(b.code);
      const report = [...claims.keys()].map(v => `${v}: ${v}.shape`).join(', ');
      writeFileSync(path, `${forRunning(b.code)}\nexport const __shapes = {${report}};\n`);
      const log = spyOn(console, 'log');  // the blocks' own output would clutter the test's
      let shapes: Record<string, number[]> = {};
      await expectAsync(import(pathToFileURL(path).href).then(m => {
        shapes = m.__shapes;
      })).withContext(what).toBeResolved();
      log.and.callThrough();
      for (const [v, shape] of claims) {
        expect(shapes[v]).withContext(`${what}: the shape in ${v}'s comment`).toEqual(shape);
      }
    }, 60000);
  }
});
