/**
 * webgl-only specs (skipped where the test backends do not include webgl, e.g. in Node): float16
 * render targets, textures too large for the device, and one set of shaders per layer for any size.
 */
import * as tf from '@tensorflow/tfjs-core';
import {conv3d, convTranspose3d} from '../src/index.js';
import {PACKED_FLAG} from '../kernels/webgl/kernels.js';
import {ConvTranspose3DPackedProgram, PackActivationsProgram, PackWeightProgram, UnpackActivationsProgram} from '../kernels/webgl/packed_programs.js';
import {conv3dCases, convTransposeCases} from './fixtures/fixtures.js';
import {expectNoLeak, expectTensorClose, fromFixture, testBackends, tolerance} from './util.js';

/**
 * float16 holds 11 significant bits (spacing 2⁻¹⁰ ≈ 1e-3 relative), and inputs, weights and every
 * stored intermediate are rounded to it, so a sum of terms of size ~1 is off by ~1e-2. tfjs' own
 * suites allow float16 100× the float32 epsilon (TEST_EPSILON_FLOAT16 = 1e-1 vs 1e-3); so do we.
 */
const FLOAT16_TOLERANCE_SCALE = 100;

/** Forward and gradients of every non-empty convTranspose3d fixture (in the current mode). */
function forwardAndGradientSpecs() {
  for (const c of convTransposeCases.filter(k => k.input.data.length > 0)) {
    it(`convTranspose3d ${c.name}: forward and gradients`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight), cot = fromFixture(c.cot);
        const b = c.bias ? fromFixture(c.bias) : null;
        const y = convTranspose3d(x, w, b, c.options);
        const fwd = tolerance('forward');
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, `${c.name} forward`);
        const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
            tf.sum(tf.mul(convTranspose3d(xx, ww, b, c.options), cot)))([x, w]);
        const grad = tolerance('grad');
        await expectTensorClose(dx, c.grads.input, grad.atol, grad.rtol, `${c.name} d/dinput`);
        await expectTensorClose(dw, c.grads.weight, grad.atol, grad.rtol, `${c.name} d/dweight`);
        tf.dispose([x, w, cot, y, dx, dw, ...(b ? [b] : [])]);
      });
    });
  }
}

const describeWebGL = testBackends().includes('webgl') ? describe : xdescribe;

if ((globalThis as {document?: unknown}).document !== undefined) {
  // Guards the browser suite against silently dropping a backend (e.g. a setup ordering change).
  it('the browser suite runs the parity specs on cpu (wasm core, relaxed build), cpu:plain, cpu:js, webgl and webgpu', () => {
    expect(testBackends()).toEqual(['cpu', 'cpu:plain', 'cpu:js', 'webgl', 'webgpu']);
  });
}

describeWebGL('webgl kernels', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('webgl');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  describe('with float16 render targets (WEBGL_RENDER_FLOAT32_ENABLED false)', () => {
    const g = globalThis as {TFJS_CT3D_TOLERANCE_SCALE?: number};
    let flag: boolean;
    beforeAll(() => {
      flag = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
      tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', false);
      g.TFJS_CT3D_TOLERANCE_SCALE = FLOAT16_TOLERANCE_SCALE;
    });
    afterAll(() => {
      tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', flag);
      delete g.TFJS_CT3D_TOLERANCE_SCALE;
    });

    forwardAndGradientSpecs();

    for (const c of conv3dCases) {
      it(`conv3d ${c.name}: forward`, async () => {
        await expectNoLeak(async () => {
          const x = fromFixture(c.input), w = fromFixture(c.weight);
          const b = c.bias ? fromFixture(c.bias) : null;
          const y = conv3d(x, w, b, c.options);
          const {atol, rtol} = tolerance('forward');
          await expectTensorClose(y, c.output, atol, rtol, c.name);
          tf.dispose([x, w, y, ...(b ? [b] : [])]);
        });
      });
    }
  });

  describe('on the flat fallback programs (CT3D_WEBGL_PACKED false)', () => {
    let flag: boolean;
    beforeAll(() => {
      flag = tf.env().getBool(PACKED_FLAG);
      tf.env().set(PACKED_FLAG, false);
    });
    afterAll(() => {
      tf.env().set(PACKED_FLAG, flag);
    });

    forwardAndGradientSpecs();
  });

  describe('tensors larger than a texture', () => {
    let max: number;
    beforeAll(() => {
      max = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
      tf.env().set('WEBGL_MAX_TEXTURE_SIZE', 16);  // at most 256 elements per texture
    });
    afterAll(() => {
      tf.env().set('WEBGL_MAX_TEXTURE_SIZE', max);
    });

    it('convTranspose3d refuses an output that no texture can hold, naming the limit', async () => {
      const x = tf.zeros([1, 1, 3, 3, 3]), w = tf.zeros([1, 1, 3, 3, 3]);  // → [1,1,9,9,9]
      await expectNoLeak(() => {
        expect(() => convTranspose3d(x, w, null, {stride: 3})).toThrowError(
            /^convTranspose3d \(webgl\): the output of size \[1, 1, 9, 9, 9\] has 729 elements, more than a WebGL texture holds here \(WEBGL_MAX_TEXTURE_SIZE = 16, so at most 16×16 = 256 elements\)/);
      });
      tf.dispose([x, w]);
    });

    it('conv3d refuses an output that no texture can hold, naming the limit', async () => {
      // 250 elements in, a 1×1×1 kernel with 2 output channels: 500 elements out.
      const x = tf.zeros([1, 2, 5, 5, 5]), w = tf.zeros([4, 2, 1, 1, 1]);
      await expectNoLeak(() => {
        expect(() => conv3d(x, w)).toThrowError(
            /^conv3d \(webgl\): the output of size \[1, 4, 5, 5, 5\] has 500 elements.*WEBGL_MAX_TEXTURE_SIZE = 16/);
      });
      tf.dispose([x, w]);
    });
  });

  it('compiles each of a layer\'s shaders once, not once per input size', async () => {
    // tfjs keeps compiled programs by a key that starts with the program's class name and holds
    // the shader source (and, for 1-D or packed 2-D tensors, only whether each texture is a
    // single row / its logical shape matches its texture: see docs/webgl.md).
    const cache = (tf.backend() as unknown as {binaryCache: Record<string, unknown>}).binaryCache;
    const names = [PackActivationsProgram, PackWeightProgram, ConvTranspose3DPackedProgram,
                   UnpackActivationsProgram].map(c => c.name);
    const ours = () => Object.keys(cache).filter(k => names.some(n => k.startsWith(n + '_')));
    const before = ours().length;
    const w = tf.randomNormal([3, 2, 3, 3, 3]);
    const counts: number[] = [];
    for (const size of [3, 4, 5]) {  // outputs ≤ 3360 elements: all [1, n] textures
      await expectNoLeak(async () => {
        const x = tf.randomNormal([2, 3, size, size + 1, size]);
        const y = convTranspose3d(x, w, null, {stride: [2, 1, 3], padding: 1, outputPadding: [1, 0, 1]});
        await y.data();
        tf.dispose([x, y]);
      });
      counts.push(ours().length - before);
    }
    w.dispose();
    // Pack x, pack the weight, the convolution, unpack the result: at most 4 new programs (the
    // packing ones may already exist: their source holds only channels / groups / kernel), all
    // compiled for the first size, none for the next ones.
    expect(counts[0]).toBeGreaterThanOrEqual(1);  // at least this layer's convolution
    expect(counts[0]).toBeLessThanOrEqual(4);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });
});
