// Hostile and odd files (issue 12): each finding's file, built here or by PyTorch
// (make_hostile_fixtures.py), and the limit or rule it now meets. The cases that once hung or
// exhausted memory run in a worker thread with a heap limit and a timeout (a synchronous hang
// cannot be interrupted by jasmine's timeout), so a regression fails instead of hanging.
import * as tf from '@tensorflow/tfjs';
import {deflateSync} from 'fflate';
import {Worker} from 'node:worker_threads';
import {loadSafetensors, loadStateDict, loadTorchFile, parseSafetensorsHeader} from '../../src/index.js';
import hostile from '../fixtures/hostile_files.json';
import {expectNoLeak} from '../util.js';
import {f32, Pickle, safetensorsText, torchFile, zip} from './hostile_builders.js';
import {hostileFixture} from './hostile_cases.js';

// Generous: the machine running CI may be busy; a hang still fails.
const CASE_TIMEOUT_MS = 20000;

interface CaseResult {
  ok: boolean;
  value?: unknown;
  message?: string;
  ms: number;
  leaked: number;
  /** Growth of the worker's ArrayBuffer memory over the case (tensor data included). */
  arrayBuffersMB: number;
}

/** One worker for the dangerous cases, restarted after a timeout or a crash. */
class CaseRunner {
  private worker: Worker|null = null;
  private ready: Promise<void>|null = null;

  private start() {
    const code = `
      const {parentPort, workerData} = require('node:worker_threads');
      (async () => {
        (await import(workerData.tsx)).register();
        const tf = await import(workerData.tfjs);
        await tf.setBackend('cpu');
        const {HOSTILE_CASES} = await import(workerData.cases);
        parentPort.on('message', name => {
          const before = tf.memory().numTensors;
          const ab = process.memoryUsage().arrayBuffers;
          const t0 = performance.now();
          let r;
          try {
            r = {ok: true, value: HOSTILE_CASES[name]()};
          } catch (e) {
            r = {ok: false, message: e instanceof Error ? e.message : String(e)};
          }
          r.ms = performance.now() - t0;
          r.leaked = tf.memory().numTensors - before;
          r.arrayBuffersMB = (process.memoryUsage().arrayBuffers - ab) / 2 ** 20;
          parentPort.postMessage(r);
        });
        parentPort.postMessage('ready');
      })().catch(e => parentPort.postMessage('failed: ' + e.stack));`;
    const w = new Worker(code, {
      eval: true,
      workerData: {
        tsx: import.meta.resolve('tsx/esm/api'),
        tfjs: import.meta.resolve('@tensorflow/tfjs'),
        cases: new URL('./hostile_cases.ts', import.meta.url).href,
      },
      // A heap blow-up (billion laughs) kills the worker, not the test process.
      resourceLimits: {maxOldGenerationSizeMb: 1024},
    });
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      w.once('message', m => (m === 'ready' ? resolve() : reject(new Error(String(m)))));
      w.once('error', reject);
    });
  }

  async run(name: string): Promise<CaseResult> {
    if (this.worker == null) this.start();
    await this.ready;
    const w = this.worker!;
    return new Promise<CaseResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop();
        reject(new Error(`'${name}' ran past ${CASE_TIMEOUT_MS} ms (a hang)`));
      }, CASE_TIMEOUT_MS);
      const onError = (e: Error) => {
        clearTimeout(timer);
        this.worker = null;
        reject(new Error(`'${name}' crashed the worker: ${e.message}`));
      };
      w.once('error', onError);
      w.once('message', (r: CaseResult) => {
        clearTimeout(timer);
        w.off('error', onError);
        resolve(r);
      });
      w.postMessage(name);
    });
  }

  stop() {
    void this.worker?.terminate();
    this.worker = null;
  }
}

describe('hostile files that once hung or blew up (in a worker, 20 s, 1 GiB heap)', () => {
  const runner = new CaseRunner();
  afterAll(() => runner.stop());
  const SPEC_MS = CASE_TIMEOUT_MS + 20000;  // + the worker's start-up

  /** Runs `name`; the load must refuse with `re` (or, with `re` null, succeed). */
  async function expectCase(name: string, re: RegExp|null): Promise<CaseResult> {
    const r = await runner.run(name);
    if (re == null) expect(r.message).withContext(name).toBeUndefined();
    else expect(r.message).withContext(name).toMatch(re);
    expect(r.leaked).withContext(`${name}: tensors leaked`).toBe(0);
    expect(r.arrayBuffersMB).withContext(`${name}: memory`).toBeLessThan(128);
    return r;
  }

  it('1: memo "billion laughs" lists load at once, still shared (PyTorch file, 30 levels)',
     async () => {
       const r = await expectCase('memo laughs (PyTorch file, 30 levels)', null);
       expect(r.value).toEqual({keys: ['w'], shared: true, depth: 31});
     }, SPEC_MS);

  it('1: memo "billion laughs" lists load at once, still shared (hand-made, 60 levels)',
     async () => {
       const r = await expectCase('memo laughs (hand-made, 60 levels)', null);
       expect(r.value).toEqual({keys: ['w'], shared: true, depth: 61});
     }, SPEC_MS);

  for (const name of ['memo-shared dicts (PyTorch file, 18 levels)',
                      'memo-shared dicts (hand-made, 24 levels, a tensor at each leaf)']) {
    it(`2: ${name} are refused by maxEntries`, async () => {
      await expectCase(name, /^torch\.load: the state_dict has more than maxEntries = 100000 entries; pass a larger 'maxEntries' option/);
    }, SPEC_MS);
  }

  it('3: a zip64 directory claiming 2^32 − 1 entries is refused before any walk', async () => {
    await expectCase('zip64 entry count',
                     /^torch\.load: corrupt or unsupported zip \(PyTorch: "invalid header or archive is corrupted"\): the directory claims 4294967295 entries, but its \d+ bytes hold at most \d+/);
  }, SPEC_MS);

  it('3: an end of directory claiming more entries than it holds is refused', async () => {
    await expectCase('end of directory claiming 65535 entries',
                     /^torch\.load: corrupt or unsupported zip .*the directory claims 65534 entries/);
  }, SPEC_MS);

  it('4: a stride-0 view of 2^31 elements is refused by maxTotalBytes', async () => {
    await expectCase('stride-0 view of 2^31 elements',
                     /^torch\.load: tensor 'w' \(size \[2147483648\]\) would bring the memory this file needs to 8589934592 bytes, more than maxTotalBytes = 2147483648; pass a larger 'maxTotalBytes' option/);
  }, SPEC_MS);

  it('4: eight stride-0 views of one float (8 GiB) are refused before any is made', async () => {
    await expectCase('eight stride-0 views of 2^28 elements',
                     /^torch\.load: tensor 'w2' \(size \[268435456\]\) would bring the memory this file needs to 3221225472 bytes, more than maxTotalBytes/);
  }, SPEC_MS);

  it('5: records nothing references are never inflated', async () => {
    const r = await expectCase('four unreferenced records claiming 1 GiB', null);
    expect(r.value).toEqual(['w']);
  }, SPEC_MS);

  it('5: a record inflating past its declared size stops there', async () => {
    await expectCase('a record inflating past its declared size',
                     /^torch\.load: corrupt or unsupported zip .*record 'archive\/data\/0' inflates to more than the 8 bytes it declares/);
  }, SPEC_MS);

  it('6: a safetensors header of 150,000 tensors is refused by maxEntries', async () => {
    await expectCase('safetensors with 150,000 tensors',
                     /^safetensors: the header lists more than maxEntries = 100000 entries; pass a larger 'maxEntries' option/);
  }, SPEC_MS);

  it('16: a 10^6-deep list is refused by maxDepth, without recursion', async () => {
    await expectCase('a 10^6-deep list',
                     /^torch\.load: the value at key 'x' nests more than 1000 deep, more than maxDepth = 1000; pass a larger 'maxDepth' option/);
  }, SPEC_MS);

  it('16: a 10^6-deep list loads with maxDepth raised (no call-stack overflow)', async () => {
    const r = await expectCase('a 10^6-deep list, maxDepth raised', null);
    expect(r.value).toEqual({keys: ['w'], depth: 1e6});
  }, SPEC_MS);

  it('16: a 10^6-deep tuple is refused by maxDepth', async () => {
    await expectCase('a 10^6-deep tuple', /^torch\.load: the value at key 'x' nests more than 1000 deep, more than maxDepth = 1000/);
  }, SPEC_MS);

  it('16: 500,000-deep dicts are refused by maxDepth', async () => {
    await expectCase('a 500,000-deep dict', /^torch\.load: the dicts at key '(k\.)+k?… \(1999 characters\)' nest more than maxDepth = 1000 deep/);
  }, SPEC_MS);

  it('16: one APPENDS of 10^6 items loads', async () => {
    const r = await expectCase('one APPENDS of 10^6 items', null);
    expect(r.value).toEqual({keys: ['w'], length: 1e6, last: 1e6 - 1});
  }, SPEC_MS);

  it('a list or dict that contains itself is refused', async () => {
    await expectCase('a list that contains itself', /^torch\.load: the value at key 'x' contains itself \(a cycle\)/);
    await expectCase('a dict that contains itself', /^torch\.load: the dict at key 'self' contains itself \(a cycle\)/);
  }, SPEC_MS);
});

/** `{w: <tensor pushed by push()>}` with storage '0' as a torch.save file. */
function oneTensor(push: (p: Pickle) => void, storage: Uint8Array, extra = {}): Uint8Array {
  const p = new Pickle().emptyDict().str('w');
  push(p);
  return torchFile(p.setItem().stop(), {'0': storage, ...extra});
}

describe('loader limits and options', () => {
  it('4: maxTotalBytes bounds a file\'s tensors together, not one by one', async () => {
    const p = new Pickle().emptyDict().mark();
    for (let i = 0; i < 3; i++) p.str(`w${i}`).tensor('0', 1, [100], [0]);
    const file = torchFile(p.setItems().stop(), {'0': f32([5])});
    await expectNoLeak(async () => {
      expect(() => loadStateDict(file, {maxTotalBytes: 1000})).toThrowError(
          /^torch\.load: tensor 'w2' \(size \[100\]\) would bring the memory this file needs to 1200 bytes, more than maxTotalBytes = 1000/);
      const sd = loadStateDict(file, {maxTotalBytes: 1200});
      expect(Array.from(await sd.w2.data())).toEqual(new Array(100).fill(5));
      tf.dispose(Object.values(sd));
    });
  });

  it('5: maxTotalBytes counts inflated records; none is inflated when they exceed it', () => {
    // Junk deflate data: inflating it would fail with another message.
    const junk = new Uint8Array(64).fill(0xff);
    const file = zip([{name: 'archive/data.pkl', data: new Pickle().emptyDict().mark().str('a')
                          .tensor('0', 150, [1], [1]).str('b').tensor('1', 150, [1], [1])
                          .setItems().stop()},
                      {name: 'archive/data/0', data: junk, method: 8, size: 600},
                      {name: 'archive/data/1', data: junk, method: 8, size: 600}]);
    expect(() => loadTorchFile(file, {maxTotalBytes: 1000})).toThrowError(
        /^torch\.load: inflating storage data\/1 would bring the memory this file needs to 1204 bytes, more than maxTotalBytes = 1000/);
    expect(() => loadTorchFile(file, {maxEntryBytes: 599})).toThrowError(
        /^torch\.load: record 'archive\/data\/0' would inflate to 600 bytes, more than maxEntryBytes = 599; pass a larger 'maxEntryBytes' option/);
  });

  it('5: a deflated storage still loads', async () => {
    const pkl = new Pickle().emptyDict().str('w').tensor('0', 3, [3], [1]).setItem().stop();
    const file = zip([{name: 'archive/data.pkl', data: deflateSync(pkl), method: 8, size: pkl.length},
                      {name: 'archive/data/0', data: deflateSync(f32([1, 2, 3])), method: 8,
                       size: 12}]);
    await expectNoLeak(async () => {
      const sd = loadStateDict(file);
      expect(Array.from(await sd.w.data())).toEqual([1, 2, 3]);
      tf.dispose(Object.values(sd));
    });
  });

  const file = () => oneTensor(p => p.tensor('0', 1, [1], [1]), f32([1]));
  for (const [fn, load] of [['loadStateDict', loadStateDict], ['loadTorchFile', loadTorchFile]] as
       const) {
    for (const [key, bad] of [['maxTotalBytes', NaN], ['maxEntryBytes', NaN],
                              ['maxEntryBytes', Infinity], ['maxEntries', -1], ['maxDepth', 1.5],
                              ['maxTotalBytes', '4096']] as const) {
      it(`4, 5: ${fn} refuses ${key}: ${String(bad)}`, () => {
        expect(() => load(file(), {[key]: bad} as never)).toThrowError(new RegExp(
            `^${fn}: argument '${key}' must be an integer ≥ 0, but got ${
                typeof bad === 'string' ? `"${bad}"` : String(bad)}$`));
      });
    }
    it(`16: ${fn} refuses unknown options and non-objects`, () => {
      expect(() => load(file(), {maxBytes: 5} as never)).toThrowError(
          new RegExp(`^${fn}: got an unexpected keyword argument 'maxBytes'; the accepted options are maxEntryBytes, maxTotalBytes, maxEntries, maxDepth$`));
      expect(() => load(file(), 5 as never)).toThrowError(
          new RegExp(`^${fn}: argument 'options' must be an object`));
    });
    for (const bad of [null, undefined, 'file.pt', [1, 2], new Float32Array(2)]) {
      it(`16: ${fn}(${Object.prototype.toString.call(bad)}) names the argument`, () => {
        expect(() => load(bad as never)).toThrowError(new RegExp(
            `^${fn}: argument 'data' must be a Uint8Array or ArrayBuffer, but got ` +
            `(null|undefined|"file\\.pt"|\\[1, 2\\]|a Float32Array)$`));
      });
    }
  }

  it('16: loadSafetensors and parseSafetensorsHeader check their arguments too', () => {
    expect(() => loadSafetensors(null as never)).toThrowError(
        /^loadSafetensors: argument 'data' must be a Uint8Array or ArrayBuffer, but got null$/);
    expect(() => parseSafetensorsHeader(undefined as never)).toThrowError(
        /^parseSafetensorsHeader: argument 'data' must be a Uint8Array or ArrayBuffer, but got undefined$/);
    expect(() => loadSafetensors(safetensorsText('{}'), {maxDepth: 5} as never)).toThrowError(
        /^loadSafetensors: got an unexpected keyword argument 'maxDepth'; the accepted options are maxTotalBytes, maxEntries$/);
    expect(() => loadSafetensors(safetensorsText('{}'), {maxEntries: Infinity})).toThrowError(
        /^loadSafetensors: argument 'maxEntries' must be an integer ≥ 0, but got Infinity$/);
  });

  it('options null or undefined mean the defaults', async () => {
    await expectNoLeak(() => {
      tf.dispose(Object.values(loadStateDict(file(), null)));
      tf.dispose(Object.values(loadTorchFile(file(), undefined).tensors));
    });
  });
});

describe('odd but valid, or ambiguous, files', () => {
  it('10: a .pt key named __proto__ is an ordinary key (PyTorch file)', async () => {
    await expectNoLeak(async () => {
      const sd = loadStateDict(hostileFixture('proto.pt'));
      expect(Object.keys(sd)).toEqual(['__proto__', 'w']);
      expect(Object.getPrototypeOf(sd)).toBeNull();
      expect(sd['__proto__']).toBeInstanceOf(tf.Tensor);
      expect(Array.from(await sd['__proto__'].data())).toEqual([3]);
      tf.dispose(Object.values(sd));
    });
  });

  it('10: a safetensors tensor and a metadata key named __proto__ are ordinary keys', async () => {
    const bytes = safetensorsText(
        '{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"F32","shape":[1],' +
        '"data_offsets":[0,4]}}', f32([7]));
    expect(Object.keys(parseSafetensorsHeader(bytes).metadata)).toEqual(['__proto__']);
    await expectNoLeak(async () => {
      const sd = loadStateDict(bytes);
      expect(Object.keys(sd)).toEqual(['__proto__']);
      expect(Array.from(await sd['__proto__'].data())).toEqual([7]);
      tf.dispose(Object.values(sd));
    });
  });

  it('10: a non-tensor dict with a __proto__ key stays a plain key', () => {
    // {'__proto__': 1, 'cfg': [{'__proto__': 2}], 'sub': {'__proto__': 3}}
    const p = new Pickle().emptyDict().mark().str('__proto__').int(1)
        .str('cfg').emptyList().emptyDict().str('__proto__').int(2).setItem().append()
        .str('sub').emptyDict().str('__proto__').int(3).setItem().setItems().stop();
    const {other} = loadTorchFile(torchFile(p, {}));
    expect(Object.keys(other)).toEqual(['__proto__', 'cfg', 'sub.__proto__']);
    expect(other['__proto__']).toBe(1);
    const cfg = (other.cfg as Array<Record<string, unknown>>)[0];
    expect(Object.keys(cfg)).toEqual(['__proto__']);
    expect(cfg['__proto__']).toBe(2);
    expect(other['sub.__proto__']).toBe(3);
  });

  /** A safetensors file of one F32 tensor [1, 2] whose header is padded to `length` bytes. */
  function paddedSafetensors(length: number, lead = ''): Uint8Array {
    const json = `${lead}{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`;
    return safetensorsText(json.padEnd(length, ' '), f32([1, 2]));
  }

  for (const [what, bytes] of [
           ['a header of exactly 0x4b50 bytes (its length reads "PK")', paddedSafetensors(0x4b50)],
           ['a header that starts with a space, of 0x80 bytes (its length reads PROTO)',
            paddedSafetensors(0x80, ' ')],
           ['a header that starts with a newline, of 0x180 bytes', paddedSafetensors(0x180, '\n')],
         ] as const) {
    it(`13: loadStateDict reads safetensors with ${what}`, async () => {
      expect(bytes[0] === 0x50 && bytes[1] === 0x4b || bytes[0] === 0x80).toBe(true);
      await expectNoLeak(async () => {
        for (const sd of [loadStateDict(bytes), loadSafetensors(bytes)]) {
          expect(Array.from(await sd.w.data())).toEqual([1, 2]);
          tf.dispose(Object.values(sd));
        }
      });
    });
  }

  it('13: a zip that ends in no directory goes to torch.load\'s diagnosis', () => {
    const good = oneTensor(p => p.tensor('0', 1, [1], [1]), f32([1]));
    expect(() => loadStateDict(good.subarray(0, good.length - 10))).toThrowError(
        /^torch\.load: corrupt or unsupported zip .*no end of central directory record/);
  });

  it('13: a file that reads both as a zip and as safetensors is refused, not guessed', () => {
    // "PK\x03\x04" + four zeros read as a header length of 0x04034b50 bytes; the zip's
    // compression-method byte reads '{'; an empty end of central directory closes the file.
    const n = 0x04034b50;
    const bytes = new Uint8Array(8 + n + 22);
    bytes.set([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0x7b]);
    bytes.set([0x50, 0x4b, 5, 6], 8 + n);
    expect(() => loadStateDict(bytes)).toThrowError(
        /^loadStateDict: the data reads both as a zip and as a safetensors file; call loadTorchFile or loadSafetensors$/);
  });

  it('3: a valid zip64 end of directory is read', async () => {
    const file = torchFile(new Pickle().emptyDict().str('w').tensor('0', 2, [2], [1]).setItem()
                               .stop(), {'0': f32([1, 2])}, [], {zip64Entries: 3n});
    await expectNoLeak(async () => {
      const sd = loadStateDict(file);
      expect(Array.from(await sd.w.data())).toEqual([1, 2]);
      tf.dispose(Object.values(sd));
    });
  });

  it('3: zip64 sizes and offsets in the central extra field are read, and required', async () => {
    const pkl = new Pickle().emptyDict().str('w').tensor('0', 2, [2], [1]).setItem().stop();
    await expectNoLeak(async () => {
      const sd = loadStateDict(torchFile(pkl, {'0': f32([1, 2])}, [], {zip64Fields: 'extra'}));
      expect(Array.from(await sd.w.data())).toEqual([1, 2]);
      tf.dispose(Object.values(sd));
    });
    expect(() => loadStateDict(torchFile(pkl, {'0': f32([1, 2])}, [], {zip64Fields: 'drop'})))
        .toThrowError(/^torch\.load: corrupt or unsupported zip .*record 'archive\/data\.pkl' lacks its zip64 sizes/);
  });

  it('14: a size-1 axis with stride 2^53 − 1 reads the right elements', async () => {
    const file = oneTensor(p => p.tensor('0', 4, [2, 1], [1, 2 ** 53 - 1], 2), f32([10, 20, 30, 40]));
    await expectNoLeak(async () => {
      const sd = loadStateDict(file);
      expect(Array.from(await sd.w.data())).toEqual([30, 40]);
      tf.dispose(Object.values(sd));
    });
  });

  it('15: duplicate zip records are refused (PyTorch reads either, by layout)', async () => {
    // make_hostile_fixtures.py: which copy torch.load read depends on the directory's layout.
    expect(new Set(Object.values(hostile.dup_reads))).toEqual(new Set(['first', 'second']));
    await expectNoLeak(() => {
      for (const f of ['dup_first.pt', 'dup_second.pt'] as const) {
        expect(() => loadStateDict(hostileFixture(f))).toThrowError(
            /^torch\.load: corrupt or unsupported zip .*the archive holds two records named 'archive\/data\/0'/);
      }
    });
  });

  it('15: {"a.b": t1, "a": {"b": t2}} is refused, naming the key (PyTorch file)', async () => {
    await expectNoLeak(() => {
      expect(() => loadStateDict(hostileFixture('collide.pt'))).toThrowError(
          /^torch\.load: two entries flatten to the key 'a\.b'/);
    });
  });

  const entry = (begin: number, end: number) =>
      `{"dtype":"F32","shape":[${(end - begin) / 4}],"data_offsets":[${begin},${end}]}`;
  for (const [what, header, dataBytes, re] of [
           ['overlapping tensors', `{"a":${entry(0, 8)},"b":${entry(4, 8)}}`, 8,
            /^safetensors: tensor 'b' starts at byte 4 of the data section, but the previous tensor ends at 8 \(overlapping/],
           ['two names for the same bytes', `{"a":${entry(0, 4)},"b":${entry(0, 4)}}`, 4,
            /^safetensors: tensor '[ab]' starts at byte 0 .* \(overlapping/],
           ['a gap between tensors', `{"a":${entry(0, 4)},"b":${entry(8, 12)}}`, 12,
            /^safetensors: tensor 'b' starts at byte 8 of the data section, but the previous tensor ends at 4 \(a gap/],
           ['trailing bytes', `{"a":${entry(0, 4)}}`, 8,
            /^safetensors: the tensors cover 4 bytes, but the data section has 8 \(the format allows no trailing bytes\)/],
           ['a duplicate tensor name', `{"a":${entry(0, 4)},"a":${entry(4, 8)}}`, 8,
            /^safetensors: the header has the key 'a' twice/],
           ['a duplicate key inside an entry', '{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
            4, /^safetensors: the header has the key 'dtype' twice/],
           ['a duplicate metadata key', `{"__metadata__":{"k":"1","k":"2"},"a":${entry(0, 4)}}`, 4,
            /^safetensors: the header has the key 'k' twice/],
           ['an escaped duplicate name', `{"a":${entry(0, 4)},"\\u0061":${entry(4, 8)}}`, 8,
            /^safetensors: the header has the key 'a' twice/],
           ['a shape of 100,000 dimensions', `{"a":{"dtype":"F32","shape":[${
                new Array(1e5).fill(1).join(',')}],"data_offsets":[0,4]}}`, 4,
            /^safetensors: the header has an array of more than 64 items \(shapes have at most 64 dimensions\)/],
           ['more tensors than maxEntries', `{"a":${entry(0, 4)},"b":${entry(4, 8)}}`, 8,
            /^safetensors: the header lists more than maxEntries = 1 entries/],
         ] as const) {
    it(`6, 15: safetensors with ${what} is refused`, async () => {
      const bytes = safetensorsText(header, new Uint8Array(dataBytes));
      await expectNoLeak(() => {
        const opts = what.startsWith('more') ? {maxEntries: 1} : {};
        expect(() => loadSafetensors(bytes, opts)).toThrowError(re);
        expect(() => loadStateDict(bytes, opts)).toThrowError(re);
      });
    });
  }

  it('a JSON string holding quotes and backslashes does not confuse the key scan', async () => {
    const bytes = safetensorsText(
        `{"__metadata__":{"q\\"\\\\":"\\\\\\"x"},"a\\\\":${entry(0, 4)}}`, f32([1]));
    await expectNoLeak(() => {
      const sd = loadSafetensors(bytes);
      expect(Object.keys(sd)).toEqual(['a\\']);
      tf.dispose(Object.values(sd));
    });
    expect(parseSafetensorsHeader(bytes).metadata).toEqual({'q"\\': '\\"x'});
  });

  it('tied weights (one tensor under two keys) still load as two tensors', async () => {
    const p = new Pickle().emptyDict().mark().str('a').tensor('0', 2, [2], [1]).put(0).str('b')
        .get(0).setItems().stop();
    await expectNoLeak(async () => {
      const sd = loadStateDict(torchFile(p, {'0': f32([1, 2])}));
      expect(Object.keys(sd)).toEqual(['a', 'b']);
      expect(Array.from(await sd.b.data())).toEqual([1, 2]);
      tf.dispose(Object.values(sd));
    });
  });
});
