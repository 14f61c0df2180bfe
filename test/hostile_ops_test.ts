/**
 * Hostile and odd arguments to the ops and layers (issue 12 #7, #12, #14, #16; issue 15 #3, #4,
 * #7): each is refused before any work with a message naming the function, the argument, the
 * rule and the value, or, where valid, computed exactly. Specs that would allocate gigabytes or
 * run for minutes without the checks get a short jasmine timeout, so they fail instead of hang.
 */
import * as tf from '@tensorflow/tfjs';
import {conv1d, conv2d, conv3d, ConvTranspose3D, convTranspose1d, convTranspose2d, convTranspose3d, convTranspose3dWeightGrad, layers} from '../src/index.js';
import {describeWithBackends, expectClose, expectNoLeak} from './util.js';

/** A spec that must finish well within this (ms): the refusals come before any allocation. */
const QUICK = 5000;

type AnyOp = (x: unknown, w: unknown, b?: unknown, o?: unknown) => tf.Tensor;
const asAny = (f: unknown) => f as AnyOp;

/** `fn` throws a message matching `re`, leaving no tensor behind; the inputs are disposed. */
async function expectRefused(make: () => tf.Tensor[], fn: (t: tf.Tensor[]) => unknown, re: RegExp) {
  const inputs = make();
  await expectNoLeak(() => {
    expect(() => fn(inputs)).toThrowError(re);
  });
  tf.dispose(inputs);
}

describeWithBackends('ops refuse results tfjs cannot hold, before allocating', () => {
  it('convTranspose3d with a stride that makes 2³¹ + 1 outputs (and a bias)', async () => {
    await expectRefused(() => [tf.ones([1, 1, 3, 1, 1]), tf.ones([1, 1, 1, 1, 1]), tf.ones([1])],
        ([x, w, b]) => convTranspose3d(x, w, b, {stride: [2 ** 30, 1, 1]}),
        /^convTranspose3d: the output would have shape \[1, 1, 2147483649, 1, 1\] = 2147483649 elements, more than the 2147483647 a tfjs tensor can hold/);
  }, QUICK);

  it('conv3d with padding 1e9 on one voxel (zero-padded input and output too big together)',
     async () => {
       await expectRefused(() => [tf.ones([1, 1, 1, 1, 1]), tf.ones([1, 1, 1, 1, 1])],
           ([x, w]) => conv3d(x, w, null, {padding: [1e9, 0, 0]}),
           /^conv3d: the zero-padded input \[1, 1, 2000000001, 1, 1\] and the output \[1, 1, 2000000001, 1, 1\] would need 4000000002 elements at once, more than the 2147483647/);
     }, QUICK);

  it('beyond 2³² elements: a named error, not a bare RangeError', async () => {
    await expectRefused(() => [tf.ones([1, 1, 1, 1, 1]), tf.ones([1, 1, 1, 1, 1])],
        ([x, w]) => conv3d(x, w, null, {padding: 1e9}),
        /^conv3d: the output would have shape \[1, 1, 2000000001, 2000000001, 2000000001\]/);
  }, QUICK);

  it('the 2-D and 1-D ops, with their own shapes in the message', async () => {
    await expectRefused(() => [tf.ones([1, 1, 1]), tf.ones([1, 1, 1])],
        ([x, w]) => conv1d(x, w, null, {padding: 1e9}),
        /^conv1d: the zero-padded input \[1, 1, 2000000001\] and the output \[1, 1, 2000000001\]/);
    await expectRefused(() => [tf.ones([1, 1, 2, 2]), tf.ones([1, 1, 1, 1])],
        ([x, w]) => convTranspose2d(x, w, null, {stride: [2 ** 16, 2 ** 16]}),
        /^convTranspose2d: the output would have shape \[1, 1, 65537, 65537\]/);
  }, QUICK);

  it('the kernels themselves (run directly) rebuild the geometry and refuse too', async () => {
    await expectRefused(() => [tf.ones([1, 1, 3, 1, 1]), tf.ones([1, 1, 1, 1, 1])],
        ([x, w]) => tf.engine().runKernel(ConvTranspose3D, {x, weight: w}, {
          stride: [2 ** 30, 1, 1], padding: [0, 0, 0], outputPadding: [0, 0, 0],
          dilation: [1, 1, 1], groups: 1}),
        /^convTranspose3d: the output would have shape \[1, 1, 2147483649, 1, 1\]/);
  }, QUICK);

  it('convTranspose3dWeightGrad with a kernel whose gradient tfjs cannot hold', async () => {
    await expectRefused(() => [tf.ones([1, 1, 1, 1, 1]), tf.ones([1, 1, 1, 1, 1])],
        ([x, dy]) => convTranspose3dWeightGrad(x, dy, [1, 2 ** 20, 2 ** 20], {outputPadding: 0}),
        /^convTranspose3dWeightGrad: the weight would have shape \[1, 1, 1, 1048576, 1048576\]/);
  }, QUICK);

  it('a transposed convolution whose uncropped output (before padding) is too big', async () => {
    await expectRefused(() => [tf.ones([1, 1, 2, 1, 1]), tf.ones([1, 1, 1, 1, 1])],
        ([x, w]) => convTranspose3d(x, w, null, {stride: [2 ** 31 - 1, 1, 1],
                                                 padding: [2 ** 30 - 1, 0, 0]}),
        /^convTranspose3d: the uncropped output \[1, 1, 2147483648, 1, 1\] and the input \[1, 1, 2, 1, 1\] would need/);
  }, QUICK);
});

describe('layers refuse weights tfjs cannot hold, at construction', () => {
  it('inChannels 2³¹', () => {
    expect(() => layers.convTranspose3d({inChannels: 2 ** 31, outChannels: 1, kernelSize: 3}))
        .toThrowError(/^ConvTranspose3d: the weight would have shape \[2147483648, 1, 3, 3, 3\] = 57982058496 elements, more than the 2147483647/);
  }, QUICK);

  it('a 2-D kernel too large for one tensor', () => {
    expect(() => layers.convTranspose2d({inChannels: 4, outChannels: 4, kernelSize: 2 ** 15}))
        .toThrowError(/^ConvTranspose2d: the weight would have shape \[4, 4, 32768, 32768\]/);
  });
});

describeWithBackends('strides, paddings and dilations beyond 32 bits', () => {
  it('are refused past 2³¹ − 1, naming the option and the value', async () => {
    const make = () => [tf.ones([1, 1, 1, 2, 2]), tf.ones([1, 1, 2, 2, 2])];
    await expectRefused(make, ([x, w]) => convTranspose3d(x, w, null, {stride: [2 ** 53 - 1, 1, 1]}),
        /^convTranspose3d: argument 'stride' must be at most 2147483647 \(.*\), but got stride=\[9007199254740991, 1, 1\]/);
    await expectRefused(make, ([x, w]) => conv3d(x, w, null, {padding: 2 ** 31}),
        /^conv3d: argument 'padding' must be at most 2147483647.*padding=\[2147483648, 2147483648, 2147483648\]/);
    await expectRefused(make, ([x, w]) => conv3d(x, w, null, {dilation: [1, 1, 2 ** 40]}),
        /^conv3d: argument 'dilation' must be at most 2147483647.*dilation=\[1, 1, 1099511627776\]/);
    await expectRefused(make, ([x, w]) => convTranspose3d(x, w, null, {outputPadding: [2 ** 32, 0, 0], stride: [2 ** 31 - 1, 1, 1]}),
        /^convTranspose3d: argument 'outputPadding' must be at most 2147483647/);
  }, QUICK);

  // Valid and exact up to the bound: on an axis of size 1 the stride changes nothing, and a
  // dilation along a kernel axis of 1 neither (PyTorch gives the same values for 7 as for 2³¹−1).
  for (const v of [2 ** 31 - 1, 2 ** 30, 2 ** 24 + 1, 2 ** 24]) {
    it(`give the same values for stride and dilation ${v} as for small ones where they cannot matter`,
       async () => {
         await expectNoLeak(async () => {
           const x = tf.randomUniform([1, 2, 1, 2, 3], -1, 1, 'float32', 1);
           const w = tf.randomUniform([2, 3, 1, 2, 2], -1, 1, 'float32', 2);
           const opts = (s: number) => ({stride: [s, 1, 1], dilation: [s, 1, 1], outputPadding: [5, 0, 0]});
           const f = (s: number) => (xx: tf.Tensor, ww: tf.Tensor) => convTranspose3d(xx, ww, null, opts(s));
           const [big, small] = [f(v)(x, w), f(7)(x, w)];
           expectClose(await big.data(), await small.data(), 1e-6, 1e-6, 'convTranspose3d');
           const [gBig, gSmall] = [tf.grads(f(v))([x, w]), tf.grads(f(7))([x, w])];
           for (let i = 0; i < 2; i++) {
             expectClose(await gBig[i].data(), await gSmall[i].data(), 1e-5, 1e-5, `gradient ${i}`);
           }
           const xc = tf.randomUniform([1, 2, 1, 3, 3], -1, 1, 'float32', 3);
           const wc = tf.randomUniform([2, 2, 1, 2, 2], -1, 1, 'float32', 4);
           const c = (s: number) => conv3d(xc, wc, null, {stride: [s, 1, 1], dilation: [s, 1, 1]});
           const [cBig, cSmall] = [c(v), c(3)];
           expectClose(await cBig.data(), await cSmall.data(), 1e-6, 1e-6, 'conv3d');
           tf.dispose([x, w, big, small, ...gBig, ...gSmall, xc, wc, cBig, cSmall]);
         });
       }, QUICK);
  }
});

describe('unknown options are refused before any work (PyTorch: unexpected keyword argument)', () => {
  const x5 = () => [tf.ones([1, 2, 3, 3, 3]), tf.ones([2, 2, 1, 1, 1])];
  it("convTranspose3d(x, w, b, {strides: 2}): tfjs' spelling, with the hint", async () => {
    await expectRefused(() => [...x5(), tf.ones([2])],
        ([x, w, b]) => asAny(convTranspose3d)(x, w, b, {strides: 2}),
        /^convTranspose3d: got an unexpected keyword argument 'strides' \(did you mean 'stride'\?\)/);
  });

  it('convTranspose3d(x, w, b, 2): options must be an object', async () => {
    await expectRefused(() => [...x5(), tf.ones([2])],
        ([x, w, b]) => asAny(convTranspose3d)(x, w, b, 2),
        /^convTranspose3d: argument 'options' must be an object with any of \{stride, padding, outputPadding, groups, dilation, outputSize\}, but got number 2/);
  });

  it('nested arrays are not converted before the options are checked', async () => {
    await expectNoLeak(() => {
      expect(() => asAny(convTranspose3d)([[[[[1]]]]], [[[[[1]]]]], null, {strides: 2}))
          .toThrowError(/unexpected keyword argument 'strides'/);
    });
  });

  const cases: Array<[string, AnyOp, () => tf.Tensor[], unknown, RegExp]> = [
    ['conv3d', asAny(conv3d), x5, {dilations: 2},
     /^conv3d: got an unexpected keyword argument 'dilations' \(did you mean 'dilation'\?\)/],
    ['conv3d', asAny(conv3d), x5, {outputPadding: 1},
     /^conv3d: got an unexpected keyword argument 'outputPadding'; the accepted options are stride, padding, dilation, groups/],
    ['conv3d', asAny(conv3d), x5, [1, 1, 1], /^conv3d: argument 'options' must be an object.*but got an array \[1, 1, 1\]/],
    ['conv2d', asAny(conv2d), () => [tf.ones([1, 2, 3, 3]), tf.ones([2, 2, 1, 1])],
     {dataFormat: 'NHWC'}, /^conv2d: got an unexpected keyword argument 'dataFormat' \(did you mean nothing: this package is always channels-first/],
    ['conv1d', asAny(conv1d), () => [tf.ones([1, 2, 3]), tf.ones([2, 2, 1])], 'same',
     /^conv1d: argument 'options' must be an object.*but got string "same"/],
    ['convTranspose2d', asAny(convTranspose2d), () => [tf.ones([1, 2, 3, 3]), tf.ones([2, 2, 1, 1])],
     {dilationRate: 2}, /^convTranspose2d: got an unexpected keyword argument 'dilationRate' \(did you mean 'dilation'\?\)/],
    ['convTranspose1d', asAny(convTranspose1d), () => [tf.ones([1, 2, 3]), tf.ones([2, 2, 1])],
     {output_padding: 1}, /^convTranspose1d: got an unexpected keyword argument 'output_padding' \(did you mean 'outputPadding'\?\)/],
  ];
  for (const [name, op, make, opts, re] of cases) {
    it(`${name} with ${JSON.stringify(opts)}`, async () => {
      await expectRefused(make, ([x, w]) => op(x, w, null, opts), re);
    });
  }

  it('convTranspose3dWeightGrad', async () => {
    await expectRefused(() => [tf.ones([1, 2, 3, 3, 3]), tf.ones([1, 2, 3, 3, 3])],
        ([x, dy]) => convTranspose3dWeightGrad(x, dy, 1, {strides: 1} as object),
        /^convTranspose3dWeightGrad: got an unexpected keyword argument 'strides' \(did you mean 'stride'\?\)/);
    await expectRefused(() => [tf.ones([1, 2, 3, 3, 3]), tf.ones([1, 2, 3, 3, 3])],
        ([x, dy]) => convTranspose3dWeightGrad(x, dy, 1, 2 as unknown as object),
        /^convTranspose3dWeightGrad: argument 'options' must be an object/);
  });

  it('layer constructor arguments: tfjs\' own are accepted, unknown ones refused with hints', () => {
    const args = {inChannels: 2, outChannels: 2, kernelSize: 1};
    expect(() => layers.convTranspose3d({...args, filters: 2} as typeof args))
        .toThrowError(/^ConvTranspose3d: got an unexpected keyword argument 'filters' \(did you mean 'outChannels' \(layers\)/);
    expect(() => layers.convTranspose2d({...args, strides: 2} as typeof args))
        .toThrowError(/^ConvTranspose2d: got an unexpected keyword argument 'strides' \(did you mean 'stride'\?\); the accepted arguments are name, inputShape/);
    expect(() => layers.convTranspose1d({...args, useBias: false} as typeof args))
        .toThrowError(/^ConvTranspose1d: got an unexpected keyword argument 'useBias' \(did you mean 'bias'\?\)/);
    const ok = layers.convTranspose3d({...args, name: 'mine', trainable: false, dtype: 'float32',
                                       inputShape: [2, 3, 3, 3]});
    expect(ok.name).toBe('mine');
  });

  it('layer call keyword arguments', async () => {
    const layer = layers.convTranspose3d({inChannels: 2, outChannels: 2, kernelSize: 1});
    await expectRefused(() => [tf.ones([1, 2, 3, 3, 3])],
        ([x]) => layer.apply(x, {output_size: [3, 3, 3]}),
        /^ConvTranspose3d.apply: got an unexpected keyword argument 'output_size' \(did you mean 'outputSize'\?\)/);
    const y = layer.apply(tf.ones([1, 2, 3, 3, 3]), {outputSize: [3, 3, 3], training: true}) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 3, 3, 3]);
    tf.dispose([y, ...layer.weights.map(v => v.read())]);
  });
});

describe('the layout mistake gets PyTorch\'s message, then what was expected', () => {
  it("transposed: tfjs' filter layout [kD, kH, kW, out, in]", async () => {
    await expectRefused(() => [tf.zeros([1, 4, 5, 6, 7]), tf.zeros([3, 3, 3, 5, 4])],
        ([x, w]) => convTranspose3d(x, w),
        /^convTranspose3d: Given transposed=1, weight of size \[3, 3, 3, 5, 4\], expected input\[1, 4, 5, 6, 7\] to have 3 channels, but got 4 channels instead\. weight must be \[Cin, Cout\/groups, kD, kH, kW\] \(PyTorch's layout\); this weight looks like tfjs' filter layout \[kD, kH, kW, outChannels, inChannels\]: convert it with tf\.transpose\(weight, \[4, 3, 0, 1, 2\]\)$/);
  });

  it('transposed: channels-last (NDHWC) input', async () => {
    await expectRefused(() => [tf.zeros([1, 5, 6, 7, 4]), tf.zeros([4, 5, 3, 3, 3])],
        ([x, w]) => convTranspose3d(x, w),
        /^convTranspose3d: Given transposed=1, weight of size \[4, 5, 3, 3, 3\], expected input\[1, 5, 6, 7, 4\] to have 4 channels, but got 5 channels instead\. weight must be \[Cin, Cout\/groups, kD, kH, kW\] \(PyTorch's layout\); the input looks channels-last \(NDHWC\), but this package is channels-first as PyTorch: convert it with tf\.transpose\(input, \[0, 4, 1, 2, 3\]\)$/);
  });

  it("conv3d: tfjs' filter layout [kD, kH, kW, in, out]", async () => {
    await expectRefused(() => [tf.zeros([1, 4, 5, 5, 5]), tf.zeros([3, 3, 3, 4, 6])],
        ([x, w]) => conv3d(x, w),
        /^conv3d: Given groups=1, weight of size \[3, 3, 3, 4, 6\], expected input\[1, 4, 5, 5, 5\] to have 3 channels, but got 4 channels instead\. weight must be \[Cout, Cin\/groups, kD, kH, kW\] \(PyTorch's layout\); this weight looks like tfjs' filter layout \[kD, kH, kW, inChannels, outChannels\]: convert it with tf\.transpose\(weight, \[4, 3, 0, 1, 2\]\)$/);
  });

  it('2-D: the hints are nd-aware (unbatched HWC input, a 2-D filter)', async () => {
    await expectRefused(() => [tf.zeros([5, 5, 4]), tf.zeros([6, 4, 3, 3])],
        ([x, w]) => conv2d(x, w),
        /^conv2d: .*expected input\[5, 5, 4\] to have 4 channels, but got 5 channels instead\. weight must be \[Cout, Cin\/groups, kH, kW\] \(PyTorch's layout\); the input looks channels-last \(HWC\).*tf\.transpose\(input, \[2, 0, 1\]\)$/);
    await expectRefused(() => [tf.zeros([1, 4, 5, 5]), tf.zeros([3, 3, 6, 4])],
        ([x, w]) => convTranspose2d(x, w),
        /^convTranspose2d: .*weight must be \[Cin, Cout\/groups, kH, kW\] \(PyTorch's layout\); this weight looks like tfjs' filter layout \[kH, kW, outChannels, inChannels\]: convert it with tf\.transpose\(weight, \[3, 2, 0, 1\]\)$/);
  });

  it('no guess when the shapes look like neither', async () => {
    await expectRefused(() => [tf.zeros([1, 4, 3, 3, 3]), tf.zeros([2, 5, 3, 3, 3])],
        ([x, w]) => convTranspose3d(x, w),
        /but got 4 channels instead\. weight must be \[Cin, Cout\/groups, kD, kH, kW\] \(PyTorch's layout\)$/);
  });
});

describe('ragged nested arrays and disposed tensors', () => {
  it('a ragged input is refused as PyTorch does (7 values for shape [1, 1, 2, 2, 2])', async () => {
    await expectNoLeak(() => {
      expect(() => convTranspose3d([[[[[1, 2], [3]], [[4, 5], [6, 7]]]]], [[[[[1]]]]]))
          .toThrowError(/^convTranspose3d: argument 'input' is a ragged nested array: expected sequence of length 2 at dim 4 \(got 1\)/);
      expect(() => conv3d([[[[[1]]]]], [[[[[1]], [[2, 3]]]]]))
          .toThrowError(/^conv3d: argument 'weight' is a ragged nested array: expected sequence of length 1 at dim 4 \(got 2\)/);
      expect(() => convTranspose3d([[[[[1, [2]]]]]], [[[[[1]]]]]))
          .toThrowError(/^convTranspose3d: argument 'input' is a ragged nested array: expected a number at dim 5 \(got a sequence of length 1\)/);
      expect(() => convTranspose3dWeightGrad([[[[[1]]]]], [[[[[1]]], [[[2, 3]]]]], 1))
          .toThrowError(/^convTranspose3dWeightGrad: argument 'dy' is a ragged nested array: expected sequence of length 1 at dim 4 \(got 2\)/);
    });
  });

  it('a rectangular nested array still works', async () => {
    await expectNoLeak(async () => {
      const y = convTranspose3d([[[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]], [[[[[2]]]]]);
      expect(Array.from(await y.data())).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
      y.dispose();
    });
  });

  it('a disposed input tensor is named, for the op and for a layer', async () => {
    const x = tf.ones([1, 2, 3, 3, 3]), w = tf.ones([2, 2, 1, 1, 1]);
    x.dispose();
    await expectNoLeak(() => {
      expect(() => convTranspose3d(x, w)).toThrowError(
          /^convTranspose3d: argument 'input' is a disposed tensor \(shape \[1, 2, 3, 3, 3\]\)/);
    });
    const layer = layers.convTranspose3d({inChannels: 2, outChannels: 2, kernelSize: 1});
    layer.build([null, 2, 3, 3, 3]);
    await expectNoLeak(() => {
      expect(() => layer.apply(x)).toThrowError(/ConvTranspose3d: argument 'input' is a disposed tensor/);
    });
    tf.dispose([w, ...layer.weights.map(v => v.read())]);
  });

  it('layers.convTranspose3d(null) and non-object configs', () => {
    expect(() => layers.convTranspose3d(null as unknown as {inChannels: 1, outChannels: 1, kernelSize: 1}))
        .toThrowError(/^ConvTranspose3d: expected a config object \{inChannels, outChannels, kernelSize, …\}, but got null/);
    expect(() => layers.convTranspose1d(3 as unknown as {inChannels: 1, outChannels: 1, kernelSize: 1}))
        .toThrowError(/^ConvTranspose1d: expected a config object .*but got 3/);
  });
});

/** Tensors `fn` leaves behind, whether it returns or throws. */
function leakedBy(fn: () => unknown): number {
  const before = tf.memory().numTensors;
  try {
    fn();
  } catch {
    // measured, not checked, here
  }
  return tf.memory().numTensors - before;
}

describe('gradients check dy', () => {
  it('a wrong-shaped dy names dy, the forward output shape and the one received', () => {
    const x = tf.ones([1, 2, 3, 3, 3]), w = tf.ones([2, 2, 3, 3, 3]);
    const dyT = tf.ones([1, 2, 4, 5, 5]), dyC = tf.ones([1, 2, 2, 1, 1]);
    const ct = () => tf.grads((a: tf.Tensor, b: tf.Tensor) => convTranspose3d(a, b))([x, w], dyT);
    const cv = () => tf.grads((a: tf.Tensor, b: tf.Tensor) => conv3d(a, b))([x, w], dyC);
    expect(ct).toThrowError(
        /^convTranspose3d \(gradient\): expected dy of shape \[1, 2, 5, 5, 5\] \(the forward output's\), but got dy of shape \[1, 2, 4, 5, 5\]/);
    expect(cv).toThrowError(
        /^conv3d \(gradient\): expected dy of shape \[1, 2, 1, 1, 1\] \(the forward output's\), but got dy of shape \[1, 2, 2, 1, 1\]/);
    // No more left behind than tfjs' own conv2d leaves when its gradient refuses a dy (its
    // engine keeps the saved inputs when a gradient throws).
    const x4 = tf.ones([1, 3, 3, 2]), w4 = tf.ones([1, 1, 2, 2]), dy4 = tf.ones([1, 2, 2, 2]);
    const tfjsOwn = leakedBy(() => tf.grads(
        (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'))(
        [x4, w4], dy4));
    tf.dispose([x4, w4, dy4]);
    expect(tfjsOwn).withContext('the baseline: tfjs leaks when a gradient throws').toBeGreaterThan(0);
    expect(leakedBy(ct)).toBeLessThanOrEqual(tfjsOwn);
    expect(leakedBy(cv)).toBeLessThanOrEqual(tfjsOwn);
    tf.dispose([x, w, dyT, dyC]);
  });

  it('convTranspose3dWeightGrad: kernelSize is required, and a dy that cannot be the output is named', async () => {
    await expectRefused(() => [tf.ones([1, 2, 3, 3, 3]), tf.ones([1, 2, 5, 5, 5])],
        ([x, dy]) => convTranspose3dWeightGrad(x, dy, undefined as unknown as number),
        /^convTranspose3dWeightGrad: argument 'kernelSize' is required .*but got undefined/);
    await expectRefused(() => [tf.ones([1, 2, 3, 3, 3]), tf.ones([1, 2, 5, 5, 5])],
        ([x, dy]) => convTranspose3dWeightGrad(x, dy, 1),
        /^convTranspose3dWeightGrad: dy of size \[1, 2, 5, 5, 5\] cannot be the output of convTranspose3d for an input of size \[1, 2, 3, 3, 3\] and kernelSize \[1, 1, 1\]/);
    await expectRefused(() => [tf.ones([1, 2, 3, 3, 3]), tf.ones([1, 2, 5, 5, 5])],
        ([x, dy]) => convTranspose3dWeightGrad(x, dy, [3, 0, 3]),
        /^convTranspose3dWeightGrad: argument 'kernelSize' must be positive, but got kernelSize=\[3, 0, 3\]/);
  });
});

describe("layer names in tfjs' style", () => {
  it('conv_transpose3d_N, conv_transpose2d_N, conv_transpose1d_N, counting up', () => {
    const args = {inChannels: 1, outChannels: 1, kernelSize: 1};
    const a = layers.convTranspose3d(args), b = layers.convTranspose3d(args);
    const [na, nb] = [a.name, b.name].map(n => Number(/^conv_transpose3d_(\d+)$/.exec(n)?.[1]));
    expect(a.name).toMatch(/^conv_transpose3d_\d+$/);
    expect(nb).toBe(na + 1);
    expect(layers.convTranspose2d(args).name).toMatch(/^conv_transpose2d_\d+$/);
    expect(layers.convTranspose1d(args).name).toMatch(/^conv_transpose1d_\d+$/);
    expect(layers.convTranspose3d({...args, name: 'decoder'}).name).toBe('decoder');
  });
});
