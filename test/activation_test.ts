// kernels/cpu/activation.ts: the package replaces tfjs-backend-cpu's LeakyRelu kernel with a SIMD
// one that must be bit-identical to it. The oracle is tfjs' own kernel (reached through
// setCpuImplementation('js'), which hands every call to it) and, independently, tfjs' loop written
// out here: Math.fround(x < 0 ? alpha * x : x).
import * as tf from '@tensorflow/tfjs-core';
import {isOurLeakyRelu} from '../kernels/cpu/activation.js';
import {poolWasm} from '../kernels/simd/pool_simd.js';
import {setCpuImplementation} from '../src/index.js';
import {expectNoLeak} from './util.js';

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, -1.17e-38, 3.4e38, -3.4e38, -1, 1,
                 -0.5, 2.5e-7, -7.1e-5];

/** Mixed-sign values with the special ones sprinkled in, from a fixed LCG (reproducible). */
function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s % 17 === 0 ? SPECIAL[(s >>> 8) % SPECIAL.length] : (s / 2 ** 32 - 0.5) * 2 ** ((s >>> 5) % 40 - 20);
  }
  return v;
}

/** Same float32 bits, or both NaN (a NaN product's payload is the engine's). */
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string) {
  expect(actual.length).withContext(what).toBe(expected.length);
  const a = new Int32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Int32Array(expected.buffer, expected.byteOffset, expected.length);
  let bad = -1;
  for (let i = 0; i < a.length && bad < 0; i++) {
    if (a[i] !== e[i] && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) bad = i;
  }
  expect(bad).withContext(bad < 0 ? what : `${what}: element ${bad}: ${actual[bad]} vs ${expected[bad]}`)
      .toBe(-1);
}

describe('cpu LeakyRelu (kernels/cpu/activation.ts)', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    setCpuImplementation('auto');
    await tf.setBackend(previous);
  });

  it('is registered in place of tfjs\' kernel (tfjs was imported first)', () => {
    expect(isOurLeakyRelu(tf.getKernel('LeakyRelu', 'cpu')!)).toBe(true);
    expect(poolWasm()).withContext('the SIMD module loads here').not.toBeNull();
  });

  for (const alpha of [0.01, 0.2, 0.3, -0.5, 0, 1.7, 1e-40, 123.456, NaN]) {
    for (const n of [0, 1, 3, 4, 5, 31, 16383, 16384, 16385, 40001]) {
      it(`is bit-identical to tfjs' kernel and loop: alpha ${alpha}, ${n} elements`, async () => {
        await expectNoLeak(async () => {
          const v = values(n, n * 7 + 1);
          const x = tf.tensor1d(v);
          setCpuImplementation('auto');
          const ours = tf.leakyRelu(x, alpha);
          setCpuImplementation('js');
          const theirs = tf.leakyRelu(x, alpha);
          setCpuImplementation('auto');
          const loop = new Float32Array(n);
          for (let i = 0; i < n; i++) loop[i] = v[i] < 0 ? alpha * v[i] : v[i];
          expectSameBits(await ours.data() as Float32Array, loop, 'ours vs the loop');
          expectSameBits(await theirs.data() as Float32Array, loop, 'tfjs vs the loop');
          expect(ours.dtype).toBe('float32');
          tf.dispose([x, ours, theirs]);
        });
      });
    }
  }

  it('keeps shapes, hands int32 to tfjs\' kernel, and differentiates as tfjs does', async () => {
    await expectNoLeak(async () => {
      const x = tf.tensor([[-2, 3], [0, -4]], [2, 2], 'int32');
      const y = tf.leakyRelu(x, 0.5);
      expect(y.shape).toEqual([2, 2]);
      expect(y.dtype).toBe('float32');
      expect(Array.from(await y.data())).toEqual([-1, 3, 0, -2]);
      const f = tf.tensor([[[-2, 3, 0.5, -0.25, 7]]]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.leakyRelu(t, 0.1)))(f);
      expect(Array.from(await g.data())).toEqual([0.1, 1, 1, 0.1, 1].map(Math.fround));
      tf.dispose([x, y, f, g]);
    });
  });
});
