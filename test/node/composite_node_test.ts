/**
 * The composite kernels (kernels/node/composite.ts) beyond the parity suites, which already run
 * on the cpu stand-in: how they are registered, that they only ask the native kernels for what
 * TensorFlow's CPU kernels can do, both weight-gradient formulations against PyTorch, and
 * cleanup when a kernel they need is missing.
 */
import * as tf from '@tensorflow/tfjs-core';
import {compositeKernelConfigs, WeightGradPlan} from '../../kernels/node/composite.js';
import {attrsOf, convTranspose3dInfo} from '../../src/geometry.js';
import {Conv3D, convTranspose3d, ConvTranspose3D, ConvTranspose3DWeightGrad, conv3d, registerCompositeKernels} from '../../src/index.js';
import {conv3dCases, convTransposeCases} from '../fixtures/fixtures.js';
import {expectClose, expectNoLeak, expectTensorClose, fromFixture, tolerance} from '../util.js';
import {CPU_STAND_IN, registerCpuStandIn} from './cpu_stand_in.js';

const OURS = [ConvTranspose3D, Conv3D, ConvTranspose3DWeightGrad];

/** Runs `fn` with `backend` active, then restores the previous one. */
async function onBackend(backend: string, fn: () => Promise<void>) {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

describe('registerCompositeKernels', () => {
  it('gave the stand-in the composite kernels, not the cpu ones', () => {
    for (const name of OURS) {
      const kernel = tf.getKernel(name, CPU_STAND_IN);
      expect(kernel).withContext(name).toBeDefined();
      expect(kernel!.kernelFunc).withContext(name).not.toBe(tf.getKernel(name, 'cpu')!.kernelFunc);
    }
  });

  it('registered them for tfjs-node\'s backend on import', () => {
    for (const name of OURS) expect(tf.getKernel(name, 'tensorflow')).withContext(name).toBeDefined();
  });

  it('is idempotent: a second call neither throws nor warns nor replaces', () => {
    const before = OURS.map(n => tf.getKernel(n, CPU_STAND_IN)!.kernelFunc);
    const warn = spyOn(console, 'warn');
    expect(() => registerCompositeKernels(CPU_STAND_IN)).not.toThrow();
    expect(() => registerCompositeKernels('tensorflow')).not.toThrow();
    expect(warn).not.toHaveBeenCalled();
    expect(OURS.map(n => tf.getKernel(n, CPU_STAND_IN)!.kernelFunc)).toEqual(before);
  });
});

/** Every call of a native convolution kernel the composite makes, with its inputs' shapes. */
interface NativeCall {kernel: string; shapes: number[][]; attrs: Record<string, unknown>}
const calls: NativeCall[] = [];
const WATCHED = 'cpu-composite-watched';
const CONVS = ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'];
/** Highest rank PadV2 was asked to pad: TensorFlow's Pad refuses more than 6 dimensions. */
let maxPadRank = 0;

function watch(config: tf.KernelConfig): tf.KernelConfig {
  if (config.kernelName === 'PadV2') {
    return {...config, kernelFunc: args => {
      maxPadRank = Math.max(maxPadRank, (args.inputs as {x: tf.TensorInfo}).x.shape.length);
      return config.kernelFunc(args);
    }};
  }
  if (!CONVS.includes(config.kernelName)) return config;
  return {
    ...config,
    kernelFunc: args => {
      const inputs = args.inputs as Record<string, tf.TensorInfo>;
      calls.push({
        kernel: config.kernelName,
        shapes: Object.values(inputs).map(t => t.shape),
        attrs: {...args.attrs},
      });
      return config.kernelFunc(args);
    },
  };
}

/** What TensorFlow's CPU kernels accept (conv_ops_3d.cc): no dilation, no groups, VALID/SAME. */
function expectWithinTensorFlowLimits(c: NativeCall) {
  expect(c.attrs['pad']).withContext(c.kernel).toBe('valid');
  if (c.kernel === 'Conv3D') {
    expect(c.attrs['dilations']).withContext(c.kernel).toBe(1);
    expect(c.attrs['dataFormat']).toBe('NDHWC');
    const [x, filter] = c.shapes;
    expect(filter[3]).withContext('Conv3D: filter in-channels = input channels (no groups)')
        .toBe(x[4]);
  } else if (c.kernel === 'Conv3DBackpropInputV2') {
    const [dy, filter] = c.shapes;
    const inputShape = c.attrs['inputShape'] as number[];
    expect(filter[4]).withContext('Conv3DBackpropInputV2: filter out-channels = dy channels')
        .toBe(dy[4]);
    expect(filter[3]).withContext('Conv3DBackpropInputV2: no groups').toBe(inputShape[4]);
  } else {
    const [x, dy] = c.shapes;
    const filterShape = c.attrs['filterShape'] as number[];
    expect([filterShape[3], filterShape[4]]).withContext('Conv3DBackpropFilterV2: no groups')
        .toEqual([x[4], dy[4]]);
  }
}

describe('composite kernels call the native kernels as TensorFlow\'s CPU kernels allow', () => {
  beforeAll(() => registerCpuStandIn(WATCHED, watch));

  it('one native call per group, none dilated, for every convTranspose3d fixture', async () => {
    await onBackend(WATCHED, async () => {
      for (const c of convTransposeCases) {
        await expectNoLeak(async () => {
          const x = fromFixture(c.input), w = fromFixture(c.weight);
          calls.length = 0;
          const y = convTranspose3d(x, w, null, c.options);
          const groups = c.options.groups ?? 1;
          // An empty batch needs no convolution at all.
          expect(calls.length).withContext(c.name).toBe(c.input.shape[0] === 0 ? 0 : groups);
          calls.forEach(expectWithinTensorFlowLimits);
          tf.dispose([x, w, y]);
        });
      }
    });
    expect(maxPadRank).toBeLessThanOrEqual(6);
  });

  it('one native call per group, none dilated, for every conv3d fixture', async () => {
    await onBackend(WATCHED, async () => {
      for (const c of conv3dCases) {
        await expectNoLeak(async () => {
          const x = fromFixture(c.input), w = fromFixture(c.weight);
          calls.length = 0;
          const y = conv3d(x, w, null, c.options);
          expect(calls.length).withContext(c.name).toBe(c.options.groups ?? 1);
          calls.forEach(expectWithinTensorFlowLimits);
          tf.dispose([x, w, y]);
        });
      }
    });
  });
});

describe('composite weight gradient, both formulations, matches PyTorch autograd', () => {
  const gradCases = convTransposeCases.filter(c => c.grads != null && c.input.shape[0] !== 0);

  for (const plan of ['filter', 'swapped'] as WeightGradPlan[]) {
    it(`"${plan}" on every convTranspose3d fixture with gradients`, async () => {
      const kernel = compositeKernelConfigs(CPU_STAND_IN, plan)
          .find(k => k.kernelName === ConvTranspose3DWeightGrad)!.kernelFunc;
      await onBackend(CPU_STAND_IN, async () => {
        for (const c of gradCases) {
          await expectNoLeak(async () => {
            const info = convTranspose3dInfo('convTranspose3d', c.input.shape, c.weight.shape,
                                             null, c.options);
            const x0 = fromFixture(c.input), dy0 = fromFixture(c.cot);
            const x = tf.reshape(x0, info.inShape), dy = tf.reshape(dy0, info.outShape);
            const backend = tf.backend();
            const dw = kernel({
              inputs: {x, dy},
              backend,
              attrs: {...attrsOf(info), kernelSize: info.kernelSize},
            }) as tf.TensorInfo;
            const values = backend.readSync(dw.dataId) as Float32Array;
            backend.disposeData(dw.dataId);
            const {atol, rtol} = tolerance('grad');
            expect(dw.shape).withContext(c.name).toEqual(c.grads.weight.shape);
            expectClose(values, c.grads.weight.data, atol, rtol, `${c.name} (${plan})`);
            tf.dispose([x0, dy0, x, dy]);
          });
        }
      });
    });
  }
});

describe('composite kernels on a backend without a kernel they need', () => {
  const NO_CONV = 'cpu-composite-no-conv';
  beforeAll(() => registerCpuStandIn(
      NO_CONV, config => config.kernelName === 'Conv3DBackpropInputV2' ? null : config));

  it('name the missing kernel and free what they made before it', async () => {
    await onBackend(NO_CONV, async () => {
      const c = convTransposeCases.find(k => k.name === 'sample_g2_d4_mixed')!;
      const x = fromFixture(c.input), w = fromFixture(c.weight);
      await expectNoLeak(() => {
        expect(() => convTranspose3d(x, w, null, c.options)).toThrowError(
            /convTranspose3d: the 'cpu-composite-no-conv' backend has no 'Conv3DBackpropInputV2' kernel/);
      });
      // The other two kernels do not need it.
      await expectNoLeak(async () => {
        const cc = conv3dCases[0];
        const cx = fromFixture(cc.input), cw = fromFixture(cc.weight);
        const cb = cc.bias ? fromFixture(cc.bias) : null;
        const y = conv3d(cx, cw, cb, cc.options);
        await expectTensorClose(y, cc.output, 2e-4, 2e-4, cc.name);
        tf.dispose([cx, cw, cb, y].filter(t => t != null) as tf.Tensor[]);
      });
      tf.dispose([x, w]);
    });
  });
});
