/**
 * The CPU compute core, on plain Float32Arrays in NCDHW, shared by the cpu kernels (and usable by
 * any backend that can hand us typed arrays).
 *
 * All three computations are one GEMM per (batch, group, depth chunk) plus a layout pass:
 * - forward:     cols = Wgᵀ · Xg            then col2vol scatters cols into the big output;
 * - conv3d:      cols = vol2col(big)        then Yg = Wg · cols (+ bias);
 * - weight grad: cols = vol2col(dy)         then dWg += Xg · colsᵀ.
 * Row m of `cols` is one (channel-in-group, kd, kh, kw) tap, column l one small-side position; the
 * loop bounds of col2vol/vol2col are derived per tap so out-of-range positions are never visited.
 * The readable float64 oracle these are tested against lives in test/reference.ts.
 */
import type {ConvTranspose3DInfo} from '../../src/geometry.js';

/** Columns of `cols` are processed in chunks of whole small-side depth planes, at most this big. */
const COLS_BUDGET = 1 << 21;

/**
 * C[m, n] += Σ_k A(m, k) · B(k, n), with A(m, k) = A[aOff + m·aSm + k·aSk], B(k, n) =
 * B[bOff + k·bSk + n·bSn] and C row-major with leading dimension ldc. 4×4 register blocks;
 * n-blocks outermost so a B panel stays in cache across all m-blocks.
 */
export function gemm(
    M: number, N: number, K: number, A: Float32Array, aOff: number, aSm: number, aSk: number,
    B: Float32Array, bOff: number, bSk: number, bSn: number, C: Float32Array, cOff: number,
    ldc: number): void {
  const M4 = M - (M % 4), N4 = N - (N % 4);
  for (let n0 = 0; n0 < N4; n0 += 4) {
    const pb0 = bOff + n0 * bSn;
    for (let m0 = 0; m0 < M4; m0 += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = aOff + m0 * aSm, pb = pb0;
      for (let k = 0; k < K; k++) {
        const a0 = A[pa], a1 = A[pa + aSm], a2 = A[pa + 2 * aSm], a3 = A[pa + 3 * aSm];
        const b0 = B[pb], b1 = B[pb + bSn], b2 = B[pb + 2 * bSn], b3 = B[pb + 3 * bSn];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        pa += aSk;
        pb += bSk;
      }
      let pc = cOff + m0 * ldc + n0;
      C[pc] += c00; C[pc + 1] += c01; C[pc + 2] += c02; C[pc + 3] += c03;
      pc += ldc;
      C[pc] += c10; C[pc + 1] += c11; C[pc + 2] += c12; C[pc + 3] += c13;
      pc += ldc;
      C[pc] += c20; C[pc + 1] += c21; C[pc + 2] += c22; C[pc + 3] += c23;
      pc += ldc;
      C[pc] += c30; C[pc + 1] += c31; C[pc + 2] += c32; C[pc + 3] += c33;
    }
  }
  // Ragged edges: the rows below M4 for all columns, and the columns right of N4 for M4 rows.
  const edge = (m: number, n: number) => {
    let acc = 0, pa = aOff + m * aSm, pb = bOff + n * bSn;
    for (let k = 0; k < K; k++, pa += aSk, pb += bSk) acc += A[pa] * B[pb];
    C[cOff + m * ldc + n] += acc;
  };
  for (let m = M4; m < M; m++) {
    for (let n = 0; n < N; n++) edge(m, n);
  }
  for (let m = 0; m < M4; m++) {
    for (let n = N4; n < N; n++) edge(m, n);
  }
}

/** Valid small-side range [lo, hi) along one axis for tap t: 0 ≤ i·s − p + t·d < big. */
function tapRange(small: number, big: number, s: number, p: number, d: number, t: number):
    [number, number] {
  const off = t * d - p;  // big index = i·s + off
  const lo = off >= 0 ? 0 : Math.ceil(-off / s);
  const hi = Math.min(small, Math.floor((big - 1 - off) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Per-axis, per-tap valid ranges, computed once per call. */
function tapTables(info: ConvTranspose3DInfo): Array<Array<[number, number]>> {
  return [0, 1, 2].map(a => {
    const r: Array<[number, number]> = [];
    for (let t = 0; t < info.kernelSize[a]; t++) {
      r.push(tapRange(info.inSize[a], info.outSize[a], info.stride[a], info.padding[a],
                      info.dilation[a], t));
    }
    return r;
  });
}

function depthChunk(info: ConvTranspose3DInfo, rows: number): number {
  const plane = info.inSize[1] * info.inSize[2];
  return Math.max(1, Math.min(info.inSize[0], Math.floor(COLS_BUDGET / (rows * plane))));
}

/**
 * Walks every (row m = (c, kd, kh, kw), small position in depth chunk [d0, d1)) pair whose big
 * position is inside the big tensor, calling `visit(colIndex, bigIndex, n)` for the innermost run
 * of `n` positions along W (stride s_w in the big tensor, 1 in cols). `bigBase(c)` gives the
 * offset of big channel c.
 */
function forEachTapRun(
    info: ConvTranspose3DInfo, tables: Array<Array<[number, number]>>, channels: number,
    d0: number, d1: number, bigBase: (c: number) => number,
    visit: (col: number, big: number, n: number) => void) {
  const [kD, kH, kW] = info.kernelSize;
  const [, H, W] = info.inSize;
  const [, oH, oW] = info.outSize;
  const [sd, sh, sw] = info.stride;
  const [pd, ph, pw] = info.padding;
  const [dd, dh, dw] = info.dilation;
  const chunkLen = (d1 - d0) * H * W;
  let m = 0;
  for (let c = 0; c < channels; c++) {
    const base = bigBase(c);
    for (let kd = 0; kd < kD; kd++) {
      const [dlo, dhi] = tables[0][kd];
      const a = Math.max(dlo, d0), b = Math.min(dhi, d1);
      for (let kh = 0; kh < kH; kh++) {
        const [hlo, hhi] = tables[1][kh];
        for (let kw = 0; kw < kW; kw++, m++) {
          const [wlo, whi] = tables[2][kw];
          if (whi <= wlo) continue;
          const colRow = m * chunkLen;
          for (let id = a; id < b; id++) {
            const od = id * sd - pd + kd * dd;
            for (let ih = hlo; ih < hhi; ih++) {
              const oh = ih * sh - ph + kh * dh;
              visit(colRow + ((id - d0) * H + ih) * W + wlo,
                    base + (od * oH + oh) * oW + wlo * sw - pw + kw * dw, whi - wlo);
            }
          }
        }
      }
    }
  }
}

/** y = convTranspose3d(x, w) + bias. x: info.inShape, w: info.weightShape → info.outShape. */
export function convTranspose3dForward(
    x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo): Float32Array {
  const {batchSize: N, groups: G, inChannelsPerGroup: Cig, outChannelsPerGroup: Cog} = info;
  const kvol = info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
  const L = info.inSize[0] * info.inSize[1] * info.inSize[2];
  const oL = info.outSize[0] * info.outSize[1] * info.outSize[2];
  const Cout = info.outChannels;
  const y = new Float32Array(N * Cout * oL);
  if (bias) {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < Cout; c++) y.fill(bias[c], (n * Cout + c) * oL, (n * Cout + c + 1) * oL);
    }
  }
  const M = Cog * kvol;
  const tables = tapTables(info);
  const plane = info.inSize[1] * info.inSize[2];
  const dChunk = depthChunk(info, M);
  const cols = new Float32Array(M * dChunk * plane);
  const sw = info.stride[2];
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xOff = (n * info.inChannels + g * Cig) * L;
      const wOff = g * Cig * M;
      for (let d0 = 0; d0 < info.inSize[0]; d0 += dChunk) {
        const d1 = Math.min(info.inSize[0], d0 + dChunk);
        const len = (d1 - d0) * plane;
        cols.fill(0, 0, M * len);
        // cols[m, l] = Σ_ci W[ci, m] · x[ci, l]
        gemm(M, len, Cig, w, wOff, 1, M, x, xOff + d0 * plane, L, 1, cols, 0, len);
        forEachTapRun(info, tables, Cog, d0, d1, c => (n * Cout + g * Cog + c) * oL,
                      (col, big, cnt) => {
                        for (let i = 0; i < cnt; i++, big += sw) y[big] += cols[col + i];
                      });
      }
    }
  }
  return y;
}

/** Fills cols (rows = (c, taps) of `channels` big channels, columns = small positions). */
function vol2col(
    info: ConvTranspose3DInfo, tables: Array<Array<[number, number]>>, big: Float32Array,
    bigOff: number, channels: number, d0: number, d1: number, cols: Float32Array) {
  const oL = info.outSize[0] * info.outSize[1] * info.outSize[2];
  const sw = info.stride[2];
  const kvol = info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
  cols.fill(0, 0, channels * kvol * (d1 - d0) * info.inSize[1] * info.inSize[2]);
  forEachTapRun(info, tables, channels, d0, d1, c => bigOff + c * oL, (col, b, cnt) => {
    for (let i = 0; i < cnt; i++, b += sw) cols[col + i] = big[b];
  });
}

/**
 * y = conv3d(x, w) + bias with PyTorch semantics: x is the big side (info.outShape), w
 * info.weightShape, y the small side (info.inShape).
 */
export function conv3dForward(
    x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo): Float32Array {
  const {batchSize: N, groups: G, inChannelsPerGroup: Cig, outChannelsPerGroup: Cog} = info;
  const kvol = info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
  const L = info.inSize[0] * info.inSize[1] * info.inSize[2];
  const oL = info.outSize[0] * info.outSize[1] * info.outSize[2];
  const Cin = info.inChannels;
  const y = new Float32Array(N * Cin * L);
  if (bias) {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < Cin; c++) y.fill(bias[c], (n * Cin + c) * L, (n * Cin + c + 1) * L);
    }
  }
  const K = Cog * kvol;
  const tables = tapTables(info);
  const plane = info.inSize[1] * info.inSize[2];
  const dChunk = depthChunk(info, K);
  const cols = new Float32Array(K * dChunk * plane);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const bigOff = (n * info.outChannels + g * Cog) * oL;
      for (let d0 = 0; d0 < info.inSize[0]; d0 += dChunk) {
        const d1 = Math.min(info.inSize[0], d0 + dChunk);
        const len = (d1 - d0) * plane;
        vol2col(info, tables, x, bigOff, Cog, d0, d1, cols);
        // y[ci, l] += Σ_m W[ci, m] · cols[m, l]
        gemm(Cig, len, K, w, g * Cig * K, K, 1, cols, 0, len, 1, y,
             (n * Cin + g * Cig) * L + d0 * plane, L);
      }
    }
  }
  return y;
}

/**
 * dW = Σ_n Σ_l x[n, ci, l] · vol2col(dy)[m, l]: the weight gradient of convTranspose3d (x: small
 * side info.inShape, dy: big side info.outShape) → info.weightShape.
 */
export function convTranspose3dWeightGrad(
    x: Float32Array, dy: Float32Array, info: ConvTranspose3DInfo): Float32Array {
  const {batchSize: N, groups: G, inChannelsPerGroup: Cig, outChannelsPerGroup: Cog} = info;
  const kvol = info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
  const L = info.inSize[0] * info.inSize[1] * info.inSize[2];
  const oL = info.outSize[0] * info.outSize[1] * info.outSize[2];
  const M = Cog * kvol;
  const dw = new Float32Array(info.inChannels * M);
  const tables = tapTables(info);
  const plane = info.inSize[1] * info.inSize[2];
  const dChunk = depthChunk(info, M);
  const cols = new Float32Array(M * dChunk * plane);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const bigOff = (n * info.outChannels + g * Cog) * oL;
      const xOff = (n * info.inChannels + g * Cig) * L;
      for (let d0 = 0; d0 < info.inSize[0]; d0 += dChunk) {
        const d1 = Math.min(info.inSize[0], d0 + dChunk);
        const len = (d1 - d0) * plane;
        vol2col(info, tables, dy, bigOff, Cog, d0, d1, cols);
        // dW[ci, m] += Σ_l x[ci, l] · cols[m, l]
        gemm(Cig, M, len, x, xOff + d0 * plane, L, 1, cols, 0, 1, len, dw, g * Cig * M, M);
      }
    }
  }
  return dw;
}
