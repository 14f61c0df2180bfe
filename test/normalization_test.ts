import * as tf from '@tensorflow/tfjs-core';
import {batchNorm, groupNorm, instanceNorm, NormAffine, NormRowSums, NormStats} from '../src/index.js';
import {NORM_TORCH_VERSION, NormCase, normCases, normErrors} from './fixtures/norm_fixtures.js';
import {describeWithBackends, expectClose, expectNoLeak, expectTensorClose, fromFixture, tolerance} from './util.js';

/** PyTorch's message in our spelling (argument names camelCase, torch.Size([…]) as […]). */
function normPhrase(message: string): string {
  return message.replace(/torch\.Size\((\[[^\]]*\])\)/g, '$1')
      .replace(/running_mean/g, 'runningMean').replace(/running_var/g, 'runningVar')
      .replace(/use_input_stats/g, 'useInputStats').replace(/num_groups/g, 'numGroups');
}

/** Runs a fixture's op on tensors (running statistics as Variables, so updates are visible). */
function runCase(c: NormCase, x: tf.Tensor, w: tf.Tensor|null, b: tf.Tensor|null,
                 rm: tf.Tensor|null, rv: tf.Tensor|null): tf.Tensor {
  const o = c.options;
  if (c.op === 'batchNorm') {
    return batchNorm(x, rm, rv, {weight: w, bias: b, training: o.training, momentum: o.momentum,
                                 eps: o.eps});
  }
  if (c.op === 'instanceNorm') {
    return instanceNorm(x, {runningMean: rm, runningVar: rv, weight: w, bias: b,
                            useInputStats: o.use_input_stats, momentum: o.momentum, eps: o.eps});
  }
  return groupNorm(x, c.groups!, {weight: w, bias: b, eps: o.eps});
}

describe('normalisation fixtures', () => {
  it('come from PyTorch 1.13', () => {
    expect(NORM_TORCH_VERSION).toMatch(/^1\.13/);
    expect(normCases.length).toBeGreaterThan(30);
  });
});

describeWithBackends('batchNorm, instanceNorm, groupNorm match PyTorch', () => {
  for (const c of normCases) {
    it(`${c.name}: output, running statistics and gradients`, async () => {
      // Variables holding the only reference to their data, so in-place updates leak nothing.
      const variable = (a: typeof c.runningMean) =>
          a == null ? null : tf.tidy(() => tf.variable(fromFixture(a), false));
      const rm = variable(c.runningMean), rv = variable(c.runningVar);
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), cot = fromFixture(c.cot);
        const w = c.weight ? fromFixture(c.weight) : null;
        const b = c.bias ? fromFixture(c.bias) : null;
        const fwd = tolerance('forward'), grad = tolerance('grad');
        const y = runCase(c, x, w, b, rm, rv);
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, `${c.name} output`);
        if (c.runningMeanAfter) {
          await expectTensorClose(rm!, c.runningMeanAfter, fwd.atol, fwd.rtol, 'running mean');
        }
        if (c.runningVarAfter) {
          await expectTensorClose(rv!, c.runningVarAfter, fwd.atol, fwd.rtol, 'running var');
        }
        // Gradients, with copies of the running statistics (training updates them again).
        const args = w && b ? [x, w, b] : [x];
        const rm2 = rm && tf.variable(rm, false), rv2 = rv && tf.variable(rv, false);
        const grads = tf.grads((...t: tf.Tensor[]) =>
            tf.sum(tf.mul(runCase(c, t[0], t[1] ?? null, t[2] ?? null, rm2, rv2), cot)))(args);
        tf.dispose([rm2, rv2].filter(t => t != null) as tf.Tensor[]);
        await expectTensorClose(grads[0], c.grads.input, grad.atol, grad.rtol, 'd/dinput');
        if (c.grads.weight) {
          await expectTensorClose(grads[1], c.grads.weight, grad.atol, grad.rtol, 'd/dweight');
          await expectTensorClose(grads[2], c.grads.bias!, grad.atol, grad.rtol, 'd/dbias');
        }
        tf.dispose([x, cot, y, ...args, ...grads]);
      });
      tf.dispose([rm, rv].filter(t => t != null) as tf.Tensor[]);
    });
  }
});

describeWithBackends('normalisation errors match PyTorch', () => {
  for (const e of normErrors) {
    it(e.name, async () => {
      const a = e.args;
      const x = tf.zeros(e.input);
      const t = (size?: number) => size == null ? null : tf.ones([size]);
      const rm = t(a.runningMean), rv = t(a.runningVar), w = t(a.weight), b = t(a.bias);
      const phrase = normPhrase(e.torchMessage);
      const call = () => e.op === 'batchNorm' ?
          batchNorm(x, rm, rv, {weight: w, bias: b, training: a.training}) :
          e.op === 'instanceNorm' ?
          instanceNorm(x, {runningMean: rm, runningVar: rv, weight: w, bias: b,
                           useInputStats: a.useInputStats}) :
          groupNorm(x, a.numGroups!, {weight: w, bias: b});
      await expectNoLeak(() => {
        expect(call).toThrowMatching(err => (err as Error).message.startsWith(`${e.op}: `) &&
            (err as Error).message.includes(phrase));
      });
      tf.dispose([x, rm, rv, w, b].filter(v => v != null) as tf.Tensor[]);
    });
  }

  it('refuses what PyTorch refuses in its own words, and unknown options with a hint', async () => {
    const x = tf.zeros([2, 4, 3]), x1 = tf.zeros([4]), xi = tf.zeros([2, 4, 3], 'int32');
    const rm = tf.zeros([4]), rv = tf.ones([4]);
    await expectNoLeak(() => {
      expect(() => batchNorm(x1, null, null, {training: true}))
          .toThrowError(/^batchNorm: expected input with 2 or more dimensions .* got input of size \[4\]/);
      expect(() => batchNorm(x, rm, rv, {epsilon: 1e-3} as never))
          .toThrowError(/^batchNorm: got an unexpected keyword argument 'epsilon' \(did you mean 'eps'\?\)/);
      expect(() => instanceNorm(x, {use_input_stats: false} as never))
          .toThrowError(/unexpected keyword argument 'use_input_stats' \(did you mean 'useInputStats'\?\)/);
      expect(() => groupNorm(x, 0)).toThrowError(/^groupNorm: argument 'numGroups' must be an integer ≥ 1, but got 0/);
      expect(() => batchNorm(x, rm, rv, {momentum: null as never}))
          .toThrowError(/^batchNorm: argument 'momentum' must be a finite number, but got null/);
      expect(() => batchNorm(x, rm, rv, {momentum: NaN}))
          .toThrowError(/^batchNorm: argument 'momentum' must be a finite number, but got NaN/);
      expect(() => batchNorm(xi, rm, rv))
          .toThrowError(/^batchNorm: argument 'input' must be a float32 tensor, but got a int32/);
      // Training updates running statistics in place, which a plain (immutable) Tensor cannot be.
      expect(() => batchNorm(x, rm, rv, {training: true}))
          .toThrowError(/^batchNorm: argument 'runningMean' must be a tf.Variable \(or null\) when the running statistics are updated/);
      expect(() => instanceNorm(x, {runningMean: rm, runningVar: rv}))
          .toThrowError(/^instanceNorm: argument 'runningMean' must be a tf.Variable/);
    });
    tf.dispose([x, x1, xi, rm, rv]);
  });
});

describeWithBackends('normalisation edge cases', () => {
  it('an empty batch gives an empty result and leaves the running statistics alone', async () => {
    const rm = tf.tidy(() => tf.variable(tf.zeros([4]), false));
    const rv = tf.tidy(() => tf.variable(tf.ones([4]), false));
    await expectNoLeak(async () => {
      const x = tf.zeros([0, 4, 3]);
      const ys = [batchNorm(x, rm, rv, {training: true}), instanceNorm(x), groupNorm(x, 2)];
      for (const y of ys) expect(y.shape).toEqual([0, 4, 3]);
      expect(Array.from(await rv.data())).toEqual([1, 1, 1, 1]);
      tf.dispose([x, ...ys]);
    });
    tf.dispose([rm, rv]);
  });

  it('eval mode does not touch the running statistics; training with momentum 1 replaces them',
     async () => {
       const rm = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), false));
       const rv = tf.tidy(() => tf.variable(tf.tensor1d([3, 4]), false));
       await expectNoLeak(async () => {
         // Channel 0: 0, 2, 4, 6 (mean 3, unbiased var 20/3); channel 1: all 5.
         const x = tf.tensor3d([[[0, 2], [5, 5]], [[4, 6], [5, 5]]]);
         batchNorm(x, rm, rv).dispose();
         expect(Array.from(await rm.data())).toEqual([1, 2]);
         const y = batchNorm(x, rm, rv, {training: true, momentum: 1});
         expectClose(await rm.data(), [3, 5], 1e-6, 1e-6, 'running mean');
         expectClose(await rv.data(), [20 / 3, 0], 1e-5, 1e-6, 'running var');
         // Constant channel: 0 after normalisation (var 0 + eps).
         expectClose((await y.data()).slice(2, 4), [0, 0], 1e-6, 0, 'constant channel');
         tf.dispose([x, y]);
       });
       tf.dispose([rm, rv]);
     });

  it('accepts nested arrays as inputs', async () => {
    await expectNoLeak(async () => {
      const y = groupNorm([[[1, 3], [5, 7]]], 1);
      const s = Math.sqrt(5 + 1e-5);
      expectClose(await y.data(), [-3 / s, -1 / s, 1 / s, 3 / s], 1e-5, 1e-5, 'groupNorm');
      y.dispose();
    });
  });
});

describe('normalisation: the WebAssembly SIMD loops agree with the JS ones', () => {
  it('on rows of every length modulo the vector width, data far from 0 included', async () => {
    const {computeNormAffine, computeNormStats} = await import('../kernels/cpu/normalization.js');
    const {setCpuImplementation, getCpuImplementation} = await import('../src/index.js');
    if (getCpuImplementation() !== 'wasm') {
      pending('no WebAssembly SIMD here');
      return;
    }
    // The last two stream through the 16384-float staging window: rows longer than it, and rows
    // straddling its edges.
    for (const [n, c, s, offset] of [[2, 3, 8, 0], [1, 4, 9, 0], [3, 2, 21, 100], [2, 6, 67, 1e3],
                                     [1, 3, 16421, 10], [2, 11, 1013, 0], [1, 2, 30011, 1e3]]) {
      const x = Float32Array.from({length: n * c * s}, (_, i) => offset + Math.sin(i * 12.9898) * 3);
      const p = (perSample: boolean) => ({perSample, values: Float32Array.from(
          {length: perSample ? n * c : c}, (_, i) => 0.5 + Math.cos(i))});
      const run = () => ({
        y: computeNormAffine(x, n, c, s, p(true), p(false), p(true)),
        batch: computeNormStats(x, n, c, s, c, false),
        group: computeNormStats(x, n, c, s, c / 2, true),
      });
      const simd = run();
      setCpuImplementation('js');
      const js = run();
      setCpuImplementation('auto');
      const what = `[${n}, ${c}, ${s}] + ${offset}`;
      expectClose(simd.y, js.y, 1e-5, 1e-5, `affine ${what}`);
      for (const k of ['batch', 'group'] as const) {
        expectClose(simd[k].mean, js[k].mean, 1e-6, 1e-6, `${k} mean ${what}`);
        expectClose(simd[k].variance, js[k].variance, 1e-6, 1e-5, `${k} var ${what}`);
      }
    }
  });
});

describe('normalisation: the cpu fold in plain JS agrees with the tfjs ops', () => {
  it('on random shapes and options, outputs and running statistics, data far from 0 included',
     async () => {
       const {setNormFoldInJs} = await import('../src/normalization.js');
       const before = tf.getBackend();
       await tf.setBackend('cpu');
       let seed = 7;
       const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
       const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
       await expectNoLeak(async () => {
         for (let trial = 0; trial < 40; trial++) {
           const g = int(1, 3), c = g * int(1, 3), n = int(1, 3);
           const shape = [n, c, ...Array.from({length: int(0, 3)}, () => int(1, 5))];
           if (shape.slice(2).reduce((p, q) => p * q, 1) === 1) shape.push(2);
           const offset = trial % 4 === 3 ? 1000 : 0;
           const x = tf.tidy(() => tf.add(tf.randomNormal(shape, 0, 1, 'float32', trial), offset));
           const vec = (lo: number) => tf.tensor1d(Array.from({length: c}, () => lo + rand()));
           const w = trial % 3 === 0 ? null : vec(0.5), b = trial % 5 === 0 ? null : vec(-0.5);
           const rmInit = vec(-0.5), rvInit = vec(0.5);
           const eps = [1e-5, 1e-3, 0.1][trial % 3], momentum = 0.1 + 0.2 * rand();
           const kind = ['batch eval', 'batch training', 'instance', 'instance running eval',
                         'group'][trial % 5];
           const run = (fold: boolean) => {
             setNormFoldInJs(fold);
             const rm = tf.tidy(() => tf.variable(rmInit.clone(), false));
             const rv = tf.tidy(() => tf.variable(rvInit.clone(), false));
             const y = kind === 'batch eval' ? batchNorm(x, rm, rv, {weight: w, bias: b, eps}) :
                 kind === 'batch training' ?
                 batchNorm(x, rm, rv, {weight: w, bias: b, eps, momentum, training: true}) :
                 kind === 'instance' ?
                 instanceNorm(x, {runningMean: rm, runningVar: rv, weight: w, bias: b, eps,
                                  momentum}) :
                 kind === 'instance running eval' ?
                 instanceNorm(x, {runningMean: rm, runningVar: rv, weight: w, bias: b, eps,
                                  useInputStats: false}) :
                 groupNorm(x, g, {weight: w, bias: b, eps});
             setNormFoldInJs(true);
             return [y, rm, rv];
           };
           const fast = run(true), oracle = run(false);
           const what = `${kind} ${JSON.stringify(shape)} + ${offset}`;
           for (const [i, name] of ['output', 'running mean', 'running var'].entries()) {
             expectClose(fast[i].dataSync(), oracle[i].dataSync(), 1e-6, 1e-6, `${name} ${what}`);
           }
           tf.dispose([x, rmInit, rvInit, ...fast, ...oracle, ...[w, b].filter(t => t != null)]);
         }
       });
       await tf.setBackend(before);
     });
});

describeWithBackends('normalisation: NaN propagates as in PyTorch', () => {
  // PyTorch 1.13 (checked by hand): a NaN at x[1, 2, 3] makes NaN exactly the outputs of its
  // statistic: instance (1, 2); group of 2 channels (1, 2..3); batch channel 2; and a NaN in the
  // running variance of channel 1 in eval, that channel.
  it('through the statistics and the running variance, to exactly the affected rows', async () => {
    const data = Array.from({length: 40}, (_, i) => Math.sin(i));
    data[(1 * 4 + 2) * 5 + 3] = NaN;
    const x = tf.tensor3d(data, [2, 4, 5]);
    const rm = tf.zeros([4]), rv = tf.tensor1d([1, NaN, 1, 1]);
    await expectNoLeak(async () => {
      const nanRows = async (y: tf.Tensor) => {
        const v = await y.data(), rows: number[] = [];
        for (let r = 0; r < 8; r++) {
          const row = Array.from(v.subarray(r * 5, r * 5 + 5));
          if (row.every(Number.isNaN)) rows.push(r);
          else expect(row.every(Number.isFinite)).withContext(`row ${r}`).toBe(true);
        }
        y.dispose();
        return rows;
      };
      expect(await nanRows(instanceNorm(x))).toEqual([6]);
      expect(await nanRows(groupNorm(x, 2))).toEqual([6, 7]);
      expect(await nanRows(batchNorm(x, null, null, {training: true}))).toEqual([2, 6]);
      const clean = tf.tensor3d(data.map(v => isNaN(v) ? 0 : v), [2, 4, 5]);
      expect(await nanRows(batchNorm(clean, rm, rv))).toEqual([1, 5]);
      clean.dispose();
    });
    tf.dispose([x, rm, rv]);
  });
});

describeWithBackends('normalisation kernels: the contract', () => {
  it('PtNormAffine refuses per-channel inputs of another size, naming the kernel', async () => {
    const x = tf.zeros([2, 3, 4]), bad = tf.ones([4]), ok = tf.ones([2, 3]);
    await expectNoLeak(() => {
      expect(() => tf.engine().runKernel(NormAffine, {x, mean: ok, scale: bad, shift: ok}))
          .toThrowError(/^PtNormAffine: expected scale of size \[3\] or \[2, 3\] for x of size \[2, 3, 4\], but got \[4\]/);
      expect(() => tf.engine().runKernel(NormStats, {x}, {groups: 2, perSample: true}))
          .toThrowError(/^PtNormStats: groups must divide the 3 channels, but got 2/);
    });
    tf.dispose([x, bad, ok]);
  });

  it('PtNormStats gives [groups] or [N, groups] statistics; PtNormAffine mixes [C] and [N, C]',
     async () => {
       await expectNoLeak(async () => {
         // x[n, c, s] = 10·n + c + s/2 (s = 0, 1): per (n, c) mean 10n + c + 1/4, var 1/16.
         const x = tf.tensor3d([[[0, 0.5], [1, 1.5]], [[10, 10.5], [11, 11.5]]]);
         const [m, v] = tf.engine().runKernel(NormStats, {x}, {groups: 2, perSample: true}) as
             tf.Tensor[];
         expect(m.shape).toEqual([2, 2]);
         expectClose(await m.data(), [0.25, 1.25, 10.25, 11.25], 1e-6, 1e-6, 'mean');
         expectClose(await v.data(), [1 / 16, 1 / 16, 1 / 16, 1 / 16], 1e-6, 1e-6, 'var');
         const [bm, bv] = tf.engine().runKernel(NormStats, {x}, {groups: 1, perSample: false}) as
             tf.Tensor[];
         expect(bm.shape).toEqual([1]);
         expectClose(await bm.data(), [5.75], 1e-6, 1e-6, 'batch mean');
         // Mean of squares minus square of mean over the 8 values.
         const vals = [0, 0.5, 1, 1.5, 10, 10.5, 11, 11.5];
         const mu = 5.75, want = vals.reduce((a, b) => a + (b - mu) ** 2, 0) / 8;
         expectClose(await bv.data(), [want], 1e-5, 1e-6, 'batch var');
         const scale = tf.tensor1d([2, -1]), shift = tf.tensor2d([[1, 2], [3, 4]]);
         const y = tf.engine().runKernel(NormAffine, {x, mean: m, scale, shift}) as tf.Tensor;
         expectClose(await y.data(), [0.5, 1.5, 2.25, 1.75, 2.5, 3.5, 4.25, 3.75], 1e-6, 1e-6,
                     'affine');
         tf.dispose([x, m, v, bm, bv, scale, shift, y]);
       });
     });
});

describeWithBackends('normalisation kernels: PtNormRowSums and its gradient', () => {
  it('sums Σ dy and Σ dy·(x − mean) per row; its gradient (double backward) is the bilinear one',
     async () => {
       await expectNoLeak(async () => {
         const dy = tf.tensor3d([[[1, 2, 3], [4, 5, 6]], [[-1, 0, 1], [2, 2, 2]]]);
         const x = tf.tensor3d([[[0, 1, 2], [3, 3, 3]], [[1, 1, 1], [0, 2, 4]]]);
         const mean = tf.tensor1d([1, 3]);
         const gA = tf.tensor2d([[1, -1], [0.5, 2]]), gB = tf.tensor2d([[2, 1], [-1, 3]]);
         const [a, b] = tf.engine().runKernel(NormRowSums, {dy, x, mean}) as tf.Tensor[];
         expectClose(await a.data(), [6, 15, 0, 6], 1e-6, 1e-6, 'Σ dy');
         // Rows: (1·−1 + 2·0 + 3·1), (0), (−1·0 + 0 + 1·0), (2·−3 + 2·−1 + 2·1).
         expectClose(await b.data(), [2, 0, 0, -6], 1e-6, 1e-6, 'Σ dy·(x − mean)');
         const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => {
           const [sa, sb] = tf.engine().runKernel(NormRowSums, {dy: p, x: q, mean: r}) as
               tf.Tensor[];
           return tf.add(tf.sum(tf.mul(sa, gA)), tf.sum(tf.mul(sb, gB)));
         };
         const [gdy, gx, gm] = tf.grads(f)([dy, x, mean]);
         const want = tf.tidy(() => {
           const col = (t: tf.Tensor) => tf.reshape(t, [2, 2, 1]);
           const centred = tf.sub(x, tf.reshape(mean, [1, 2, 1]));
           return [tf.add(col(gA), tf.mul(centred, col(gB))), tf.mul(dy, col(gB)),
                   tf.neg(tf.sum(tf.mul(gB, tf.sum(dy, 2)), 0))];
         });
         for (const [i, g] of [gdy, gx, gm].entries()) {
           expectClose(await g.data(), await want[i].data(), 1e-5, 1e-5, `gradient ${i}`);
         }
         tf.dispose([dy, x, mean, gA, gB, a, b, gdy, gx, gm, ...want]);
       });
     });
});
