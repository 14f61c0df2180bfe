/**
 * Registers our composite kernels for tfjs-node's `tensorflow` backend (tfjs-node and
 * tfjs-node-gpu), a side effect of importing the package. It needs nothing from tfjs-node at
 * import time: kernels are looked up by backend name when they run.
 */
import {registerCompositeKernels} from './composite.js';

registerCompositeKernels('tensorflow');

// Pooling and interpolation (issue 14): our JS kernels, see pooling.ts.
import {registerPoolingKernels} from './pooling.js';
registerPoolingKernels('tensorflow');
