/**
 * An independent, readable float64 reference for the property tests: the textbook scatter loop
 * of a transposed convolution, written from PyTorch's definition without the geometry module
 * (it takes plain numbers and computes its own output size).
 */
export interface RefConfig {
  n: number; cin: number; cout: number; groups: number;
  size: number[]; kernel: number[]; stride: number[]; padding: number[];
  outputPadding: number[]; dilation: number[];
}

export function refOutSize(c: RefConfig): number[] {
  return [0, 1, 2].map(
      i => (c.size[i] - 1) * c.stride[i] - 2 * c.padding[i] + c.dilation[i] * (c.kernel[i] - 1) +
          c.outputPadding[i] + 1);
}

/** y[n, co] = bias[co] + Σ x[n, ci, i] · w[ci, co % Cog, k] at o = i·s − p + k·d. */
export function refConvTranspose3d(
    c: RefConfig, x: ArrayLike<number>, w: ArrayLike<number>,
    bias: ArrayLike<number>|null): Float64Array {
  const [D, H, W] = c.size;
  const [kD, kH, kW] = c.kernel;
  const [oD, oH, oW] = refOutSize(c);
  const cig = c.cin / c.groups, cog = c.cout / c.groups;
  const y = new Float64Array(c.n * c.cout * oD * oH * oW);
  for (let n = 0; n < c.n; n++) {
    for (let co = 0; co < c.cout; co++) {
      for (let o = 0; o < oD * oH * oW; o++) {
        y[(n * c.cout + co) * oD * oH * oW + o] = bias ? bias[co] : 0;
      }
    }
    for (let ci = 0; ci < c.cin; ci++) {
      const g = Math.floor(ci / cig);
      for (let col = 0; col < cog; col++) {
        const co = g * cog + col;
        for (let id = 0; id < D; id++) for (let ih = 0; ih < H; ih++) for (let iw = 0; iw < W; iw++) {
          const xv = x[(((n * c.cin + ci) * D + id) * H + ih) * W + iw];
          for (let kd = 0; kd < kD; kd++) for (let kh = 0; kh < kH; kh++) for (let kw = 0; kw < kW; kw++) {
            const od = id * c.stride[0] - c.padding[0] + kd * c.dilation[0];
            const oh = ih * c.stride[1] - c.padding[1] + kh * c.dilation[1];
            const ow = iw * c.stride[2] - c.padding[2] + kw * c.dilation[2];
            if (od < 0 || od >= oD || oh < 0 || oh >= oH || ow < 0 || ow >= oW) continue;
            const wv = w[(((ci * cog + col) * kD + kd) * kH + kh) * kW + kw];
            y[(((n * c.cout + co) * oD + od) * oH + oh) * oW + ow] += xv * wv;
          }
        }
      }
    }
  }
  return y;
}
