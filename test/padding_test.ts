import * as tf from '@tensorflow/tfjs-core';
import {computePad, padReference} from '../kernels/cpu/padding.js';
import {pad, setCpuImplementation} from '../src/index.js';
import {padInfo, PadMode} from '../src/padding.js';
import {MODEL_TORCH_VERSION, padCases, padErrors} from './fixtures/model_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from './util.js';

/** PyTorch's wording, normalised: its ("2input") typo and the padding-mode set. */
function phrase(m: string): RegExp {
  const key = m.replace(/^2input/, 'input').replace(/\(W: 4\)is/, '(W: 4) is')
      .replace(/Unrecognised padding mode (\w+)/, "Unrecognised padding mode \"$1\"");
  return new RegExp(key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

describeWithBackends(`pad matches PyTorch ${MODEL_TORCH_VERSION}`, backend => {
  for (const c of padCases) {
    it(`${c.name}: forward, gradient and double backward`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), cot = fromFixture(c.cot);
        const opts = c.value == null ? {mode: c.mode} : {mode: c.mode, value: c.value};
        const y = pad(x, c.pad, opts);
        const fwd = tolerance('forward'), grad = tolerance('grad');
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, c.name);
        if ((backend === 'webgl' || backend === 'webgpu') && y.size === 0) {
          // tfjs-webgl and tfjs-webgpu 4.22 cannot sum an empty tensor (the loss below: webgpu
          // fails to create a 0-byte buffer); the forward is checked.
          tf.dispose([x, cot, y]);
          return;
        }
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pad(t, c.pad, opts), cot)))(x);
        await expectTensorClose(dx, c.grad, grad.atol, grad.rtol, `${c.name} d/dx`);
        // The gradient is linear in cot: its gradient with respect to cot is pad(x) again.
        const ddcot = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(
            tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pad(t, c.pad, opts), u)))(x), x)))(cot);
        const expected = tf.tidy(() => c.mode === 'constant' && c.value ?
            tf.sub(y, pad(tf.zerosLike(x), c.pad, opts)) : y);
        await expectTensorClose(ddcot, {shape: y.shape, data: Array.from(await expected.data())},
                                grad.atol, grad.rtol, `${c.name} double backward`);
        tf.dispose([x, cot, y, dx, ddcot, expected]);
      });
    });
  }

  it('zero pads: a copy equal to the input, gradient the identity', async () => {
    await expectNoLeak(async () => {
      const x = tf.tensor([[[1, 2], [3, 4]]]), cot = tf.tensor([[[5, 6], [7, 8]]]);
      const y = pad(x, [0, 0, 0, 0], {mode: 'reflect'});
      const dx = tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(pad(t, [0, 0], {mode: 'replicate'}), cot)))(x);
      expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
      expect(Array.from(await dx.data())).toEqual([5, 6, 7, 8]);
      tf.dispose([x, cot, y, dx]);
    });
  });

  it('fills with NaN as PyTorch does', async () => {
    await expectNoLeak(async () => {
      const x = tf.ones([1, 1, 2]), y = pad(x, [1, 0], {value: NaN});
      expect(Array.from(await y.data())).toEqual([NaN, 1, 1]);
      tf.dispose([x, y]);
    });
  });

  it('keeps int32 tensors int32 (constant and replicate)', async () => {
    await expectNoLeak(async () => {
      const x = tf.tensor([[[1, 2, 3]]], undefined, 'int32');
      const a = pad(x, [1, 2], {value: 7}), b = pad(x, [2, 1], {mode: 'replicate'});
      expect(a.dtype).toBe('int32');
      expect(Array.from(await a.data())).toEqual([7, 1, 2, 3, 7, 7]);
      expect(Array.from(await b.data())).toEqual([1, 1, 1, 2, 3, 3]);
      tf.dispose([x, a, b]);
    });
  });
});

describe('pad refuses what PyTorch refuses', () => {
  for (const e of padErrors) {
    it(e.name, async () => {
      await expectNoLeak(() => {
        const x = tf.zeros(e.shape);
        const opts = (e.value == null ? {mode: e.mode} : {mode: e.mode, value: e.value}) as
            Parameters<typeof pad>[2];
        try {
          expect(() => pad(x, e.pad, opts)).toThrowError(phrase(e.torchMessage));
          expect(() => pad(x, e.pad, opts)).toThrowError(/^pad: /);
        } finally {
          x.dispose();
        }
      });
    });
  }

  it('refuses unknown options, non-integer pads and circular pads that outgrow the crop',
     async () => {
       await expectNoLeak(() => {
         const x = tf.zeros([1, 1, 4]);
         try {
           expect(() => pad(x, [1, 1], {padding_mode: 'reflect'} as never))
               .toThrowError(/pad: got an unexpected keyword argument 'padding_mode'/);
           expect(() => pad(x, [1.5, 1])).toThrowError(/pad: argument 'pad' must be an array of integers, but got \[1\.5, 1\]/);
           expect(() => pad(x, [-6, 3], {mode: 'reflect'}))
               .toThrowError(/pad: the negative padding \(-6, 3\) at dimension 2 crops 6 elements from a dimension of size 4/);
           expect(() => pad(x, [-3, 3], {mode: 'circular'}))
               .toThrowError(/pad: Padding value causes wrapping around more than once.*1 of its 4 elements remain/);
           expect(() => pad(x, [1, 1], {value: '1' as never}))
               .toThrowError(/pad: argument 'value' must be a number, but got "1"/);
           expect(() => pad(null as never, [1, 1])).toThrowError(/pad: argument 'input' must be a Tensor/);
         } finally {
           x.dispose();
         }
       });
     });
});

describe('the cpu pad sweep (block copies, fills, row runs) matches the plain gather loop', () => {
  let seed = 11;
  const r = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const modes: PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];
  // Trials 80+: larger shapes (several staging chunks of 16384 floats, rows long enough for the
  // SIMD fills); every trial runs on the JS sweep and on the WebAssembly SIMD path.
  for (let trial = 0; trial < 104; trial++) {
    const mode = modes[trial % 4], big = trial >= 80;
    // Padded axes: 1-3 (constant: up to the rank), rank up to 5; the odd long row takes the
    // subarray-copy path; negative pads crop.
    const rank = int(1, 5), k = Math.min(rank, mode === 'constant' ? int(1, 4) : int(1, 3));
    const shape = Array.from({length: rank}, () => int(1, 5));
    if (trial % 10 === 9) shape[rank - 1] = 300;
    if (big) for (let a = Math.max(0, rank - 3); a < rank; a++) shape[a] = int(3, 40);
    let p: number[] = [];
    for (let tries = 0; tries < 50; tries++) {
      p = Array.from({length: 2 * k}, () => int(-2, 3));
      try {
        padInfo('pad', shape, p, mode);
        break;
      } catch {
        p = [];
      }
    }
    if (p.length === 0) continue;
    it(`trial ${trial}: ${mode} x ${JSON.stringify(shape)} pad ${JSON.stringify(p)}`, () => {
      const info = padInfo('pad', shape, p, mode);
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({length: n}, () => r() < 0.05 ? NaN : int(-50, 50) / 4);
      const value = trial % 8 === 3 ? NaN : 1.25;
      const bits = (v: Float32Array|Int32Array) => Array.from(new Int32Array(v.buffer, v.byteOffset, v.length));
      const xi = Int32Array.from(x, v => v !== v ? 9 : v * 4);
      const [ref, refInt] = [bits(padReference(x, info, value)), Array.from(padReference(xi, info, 7))];
      try {
        for (const impl of ['js', 'auto'] as const) {
          setCpuImplementation(impl);
          expect(bits(computePad(x, info, value))).withContext(impl).toEqual(ref);
          expect(Array.from(computePad(xi, info, 7))).withContext(impl).toEqual(refInt);
        }
      } finally {
        setCpuImplementation('auto');
      }
    });
  }
});
