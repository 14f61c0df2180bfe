import * as tf from '@tensorflow/tfjs';
import {deflateSync} from 'fflate';
import {assignStateDict, layers, loadSafetensors, loadStateDict, loadTorchFile} from '../../src/index.js';
import {fixtureFile, LOADER_TORCH_VERSION, loaderExpected, loaderExpectedDtype, moduleStateDict} from '../fixtures/layer_fixtures.js';
import {expectClose, expectNoLeak, expectTensorClose} from '../util.js';
import {f32, Pickle, zip} from './hostile_builders.js';

const F16_RTOL = 1e-3;

describe(`state_dict loaders read PyTorch ${LOADER_TORCH_VERSION} files`, () => {
  for (const file of ['mixed.pt', 'mixed.safetensors'] as const) {
    it(`${file}: every dtype, strided views and shared storages`, async () => {
      await expectNoLeak(async () => {
        const sd = loadStateDict(fixtureFile(file));
        expect(Object.keys(sd).sort()).toEqual(Object.keys(loaderExpected).sort());
        for (const [k, exp] of Object.entries(loaderExpected)) {
          expect(sd[k].dtype).withContext(k).toBe(loaderExpectedDtype[k] as tf.DataType);
          await expectTensorClose(sd[k], exp, 0, 1e-7, k);
        }
        tf.dispose(Object.values(sd));
      });
    });
  }

  it('flattens a nested checkpoint and returns its other values', async () => {
    await expectNoLeak(async () => {
      const {tensors, other} = loadTorchFile(fixtureFile('legacy_nested.pt'));
      expect(Object.keys(tensors).sort())
          .toEqual(Object.keys(moduleStateDict).map(k => `model.${k}`).sort());
      expect(other).toEqual({epoch: 3, name: 'decoder'});
      tf.dispose(Object.values(tensors));
    });
  });

  it('refuses a pickle that would call os.system, without running it', async () => {
    await expectNoLeak(() => {
      expect(() => loadStateDict(fixtureFile('hostile.pt')))
          .toThrowError(/torch\.load: refusing to load global '(posix|os|nt)\.system'.*nothing is imported or executed/);
    });
  });

  it('converts float16 and bfloat16 to float32', async () => {
    await expectNoLeak(async () => {
      const sd = loadSafetensors(fixtureFile('mixed.safetensors'));
      expectClose(await sd.f16.data(), loaderExpected.f16.data, 0, F16_RTOL, 'f16');
      tf.dispose(Object.values(sd));
    });
  });
});

/** A safetensors file built by hand: header JSON + data. */
function safetensors(header: object, data: Uint8Array, headerLen?: bigint): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('state_dict loaders refuse malformed files', () => {
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['an empty file', () => new Uint8Array(0), /safetensors: file is truncated \(0 bytes/],
    ['a huge header length', () => safetensors({}, new Uint8Array(0), 2n ** 62n),
     /header length 4611686018427387904 exceeds the file size/],
    ['a header that is not JSON', () => {
      const b = safetensors({}, new Uint8Array(0));
      b[8] = 0x7b + 1;
      return b;
    }, /header is not valid JSON/],
    ['offsets past the data', () => safetensors(
         {w: {dtype: 'F32', shape: [2], data_offsets: [0, 8]}}, new Uint8Array(4)),
     /tensor 'w' has invalid data_offsets \[0,8\] \(data section is 4 bytes\)/],
    ['a shape that disagrees with the offsets', () => safetensors(
         {w: {dtype: 'F32', shape: [3], data_offsets: [0, 8]}}, new Uint8Array(8)),
     /tensor 'w': data_offsets span 8 bytes, but shape \[3\] of F32 needs 12/],
    ['an enormous shape', () => safetensors(
         {w: {dtype: 'F32', shape: [1e6, 1e6], data_offsets: [0, 8]}}, new Uint8Array(8)),
     /shape \[1000000, 1000000\] is too large/],
    ['an unknown dtype', () => safetensors(
         {w: {dtype: 'C64', shape: [1], data_offsets: [0, 8]}}, new Uint8Array(8)),
     /tensor 'w' has unsupported dtype "C64"/],
    ['a truncated torch.save zip', () => fixtureFile('module.pt').subarray(0, 300),
     /torch\.load: corrupt or unsupported zip/],
    ['a legacy (non-zip) torch.save file', () => new Uint8Array([0x80, 2, 0x8a, 0x0a]),
     /legacy \(pre-1\.6, non-zip\) torch\.save file/],
  ];
  for (const [name, make, re] of cases) {
    it(`refuses ${name}`, async () => {
      const bytes = make();
      await expectNoLeak(() => {
        expect(() => loadStateDict(bytes)).toThrowError(re);
      });
    });
  }

  /** A tiny deterministic PRNG (mulberry32), so that a failing input can be replayed. */
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6D2B79F5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (const file of ['module.pt', 'mixed.pt', 'module.safetensors', 'mixed.safetensors'] as
       const) {
    it(`fuzz: byte flips and truncations of ${file} give clean errors`, async () => {
      await expectCleanFuzz(fixtureFile(file), rng(file.length * 7919));
    });
  }
});

describe('the loaders\' new paths under byte flips', () => {
  // A hand-built torch.save zip with deflated records and a zip64 end of directory: the paths
  // PyTorch's own files rarely take (inflation, zip64), fuzzed like the fixtures above.
  const pkl = new Pickle().emptyDict().mark().str('a').tensor('0', 6, [2, 3], [3, 1]).str('b')
      .tensor('0', 6, [3], [0], 1).setItems().stop();
  const original = zip([
    {name: 'archive/data.pkl', data: deflateSync(pkl), method: 8, size: pkl.length},
    {name: 'archive/data/0', data: deflateSync(f32([1, 2, 3, 4, 5, 6])), method: 8, size: 24},
    {name: 'archive/version', data: new TextEncoder().encode('3\n')},
  ], {zip64Entries: 3n});

  it('the hand-built file loads', async () => {
    await expectNoLeak(async () => {
      const sd = loadStateDict(original);
      expect(Array.from(await sd.a.data())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(await sd.b.data())).toEqual([2, 2, 2]);
      tf.dispose(Object.values(sd));
    });
  });

  it('fuzz: byte flips and truncations of it give clean errors', async () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    await expectCleanFuzz(original, rand);
  });
});

describe('assignStateDict (load_state_dict(strict=True))', () => {
  function model() {
    // The module of make_layer_fixtures.py: Sequential(ConvT(2,4,2,groups=2), ReLU, ConvT(4,1,(1,2,2)))
    return tf.sequential({layers: [
      layers.convTranspose3d({name: 'a', inputShape: [2, 2, 2, 2], inChannels: 2, outChannels: 4,
                              kernelSize: 2, groups: 2}),
      tf.layers.activation({activation: 'relu'}),
      layers.convTranspose3d({name: 'b', inChannels: 4, outChannels: 1, kernelSize: [1, 2, 2],
                              bias: false}),
    ]});
  }

  it('assigns PyTorch weights verbatim through a name mapping', async () => {
    await expectNoLeak(async () => {
      const m = model();
      const sd = loadStateDict(fixtureFile('module.pt'));
      const r = assignStateDict(m, sd, {mapping: {'0': 'a', '2': 'b'}});
      expect(r).toEqual({missingKeys: [], unexpectedKeys: [], mismatched: []});
      tf.dispose(Object.values(sd));
      await expectTensorClose(m.layers[0].getWeights()[0], moduleStateDict['0.weight'], 0, 1e-7);
      await expectTensorClose(m.layers[2].getWeights()[0], moduleStateDict['2.weight'], 0, 1e-7);
      m.dispose();
    });
  });

  it('reports missing, unexpected and wrong-shaped keys like PyTorch', async () => {
    await expectNoLeak(async () => {
      const m = model();
      const sd = loadStateDict(fixtureFile('module.safetensors'));
      const before = await m.layers[0].getWeights()[0].data();
      expect(() => assignStateDict(m, sd, {mapping: {'0': 'a', '1': 'b'}})).toThrowError(
          /Error\(s\) in loading state_dict for sequential_\d+:\n\tUnexpected key\(s\) in state_dict: "2\.weight"\. \n\tMissing key\(s\) in state_dict: "1\.weight"\. /);
      // Nothing is assigned when it throws.
      expect(Array.from(await m.layers[0].getWeights()[0].data())).toEqual(Array.from(before));
      const r = assignStateDict(m, sd, {mapping: {'0': 'a', '1': 'b'}, strict: false});
      expect(r.missingKeys).toEqual(['1.weight']);
      expect(r.unexpectedKeys).toEqual(['2.weight']);
      tf.dispose(Object.values(sd));
      m.dispose();
    });
  });

  it('refuses a wrong-shaped tensor even when not strict', async () => {
    await expectNoLeak(() => {
      const m = model();
      const sd = {'a.weight': tf.zeros([2, 2, 2, 2, 1]), 'a.bias': tf.zeros([4])};
      expect(() => assignStateDict(m, sd, {mapping: {a: 'a'}, strict: false})).toThrowError(
          /size mismatch for a\.weight: copying a param with shape torch\.Size\(\[2, 2, 2, 2, 1\]\) from checkpoint, the shape in current model is torch\.Size\(\[2, 2, 2, 2, 2\]\)\./);
      expect(() => assignStateDict(m, sd, {mapping: {a: 'nope'}}))
          .toThrowError(/the model has no layer named 'nope'/);
      tf.dispose(Object.values(sd));
      m.dispose();
    });
  });
});

/**
 * Up to 400 truncations and byte flips of `original` (≤ 1 s): each loads or is refused with a
 * clean prefixed error; some must be refused; nothing leaks.
 */
async function expectCleanFuzz(original: Uint8Array, rand: () => number) {
  const deadline = Date.now() + 1000;
  let runs = 0, refused = 0;
  await expectNoLeak(() => {
    for (; runs < 400 && Date.now() < deadline; runs++) {
      const b = original.slice(0, rand() < 0.3 ? Math.floor(rand() * original.length) :
                                                original.length);
      for (let f = 1 + Math.floor(rand() * 4); f > 0 && b.length > 0; f--) {
        b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      }
      try {
        tf.dispose(Object.values(loadStateDict(b)));
      } catch (e) {
        refused++;
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).withContext(`run ${runs}`)
            .toMatch(/^(torch\.load|safetensors): /);
      }
    }
  });
  expect(runs).toBeGreaterThan(20);
  expect(refused).toBeGreaterThan(0);
}
