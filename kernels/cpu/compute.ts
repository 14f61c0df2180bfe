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

/**
 * Columns of `cols` are processed in chunks of whole small-side depth planes of at most this many
 * elements, so that a chunk stays in L2 between the GEMM that writes it and the pass that reads it.
 */
const COLS_BUDGET = 1 << 17;

let packA = new Float64Array(0);
let packB = new Float64Array(0);

/** Blocking: a KC-deep slice of MC rows of A (MC·KC float64 = 256 KiB) stays in L2. */
const KC = 256, MC = 128;

/**
 * C[m, n] += Σ_k A(m, k) · B(k, n), with A(m, k) = A[aOff + m·aSm + k·aSk], B(k, n) =
 * B[bOff + k·bSk + n·bSn] and C row-major with leading dimension ldc.
 *
 * Classic blocking: for each KC-deep slice and MC-row block, A is packed into 4-row panels and B
 * into one 4-column panel at a time (float64, zero padded at ragged edges), so the 4×4
 * register-blocked inner loop reads two small contiguous arrays that stay in cache.
 */
export function gemm(
    M: number, N: number, K: number, A: Float32Array, aOff: number, aSm: number, aSk: number,
    B: Float32Array, bOff: number, bSk: number, bSn: number, C: Float32Array, cOff: number,
    ldc: number): void {
  if (M === 0 || N === 0 || K === 0) return;
  if (packA.length < MC * KC) packA = new Float64Array(MC * KC);
  if (packB.length < 4 * KC) packB = new Float64Array(4 * KC);
  const Ap = packA, Bp = packB;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kk = Math.min(KC, K - k0);
    for (let mc = 0; mc < M; mc += MC) {
      const mRows = Math.min(MC, M - mc);
      // Ap[(i0·kk + k)·4 + i] = A(mc + i0 + i, k0 + k) for 4-row panels i0.
      for (let i0 = 0; i0 < mRows; i0 += 4) {
        for (let i = 0; i < 4; i++) {
          const m = mc + i0 + i;
          let q = i0 * kk + i;
          if (m < M) {
            for (let k = 0, p = aOff + m * aSm + k0 * aSk; k < kk; k++, p += aSk, q += 4) {
              Ap[q] = A[p];
            }
          } else {
            for (let k = 0; k < kk; k++, q += 4) Ap[q] = 0;
          }
        }
      }
      for (let n0 = 0; n0 < N; n0 += 4) {
        const nn = Math.min(4, N - n0);
        for (let j = 0; j < 4; j++) {
          let q = j;
          if (j < nn) {
            for (let k = 0, p = bOff + k0 * bSk + (n0 + j) * bSn; k < kk; k++, p += bSk, q += 4) {
              Bp[q] = B[p];
            }
          } else {
            for (let k = 0; k < kk; k++, q += 4) Bp[q] = 0;
          }
        }
        for (let i0 = 0; i0 < mRows; i0 += 4) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let q = 0, pa = i0 * kk; q < 4 * kk; q += 4, pa += 4) {
            const a0 = Ap[pa], a1 = Ap[pa + 1], a2 = Ap[pa + 2], a3 = Ap[pa + 3];
            const b0 = Bp[q], b1 = Bp[q + 1], b2 = Bp[q + 2], b3 = Bp[q + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
          }
          const m0 = mc + i0;
          const pc = cOff + m0 * ldc + n0;
          if (nn === 4 && m0 + 4 <= M) {
            let p = pc;
            C[p] += c00; C[p + 1] += c01; C[p + 2] += c02; C[p + 3] += c03;
            p += ldc;
            C[p] += c10; C[p + 1] += c11; C[p + 2] += c12; C[p + 3] += c13;
            p += ldc;
            C[p] += c20; C[p + 1] += c21; C[p + 2] += c22; C[p + 3] += c23;
            p += ldc;
            C[p] += c30; C[p + 1] += c31; C[p + 2] += c32; C[p + 3] += c33;
          } else {
            const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23,
                           c30, c31, c32, c33];
            for (let i = 0; i < 4 && m0 + i < M; i++) {
              for (let j = 0; j < nn; j++) C[pc + i * ldc + j] += block[4 * i + j];
            }
          }
        }
      }
    }
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
export function tapTables(info: ConvTranspose3DInfo): Array<Array<[number, number]>> {
  return [0, 1, 2].map(a => {
    const r: Array<[number, number]> = [];
    for (let t = 0; t < info.kernelSize[a]; t++) {
      r.push(tapRange(info.inSize[a], info.outSize[a], info.stride[a], info.padding[a],
                      info.dilation[a], t));
    }
    return r;
  });
}

export function depthChunk(info: ConvTranspose3DInfo, rows: number): number {
  const plane = info.inSize[1] * info.inSize[2];
  return Math.max(1, Math.min(info.inSize[0], Math.floor(COLS_BUDGET / (rows * plane))));
}

/**
 * Moves data between `cols` (rows = (c, kd, kh, kw) for `channels` big channels, columns = small
 * positions of depth chunk [d0, d1)) and the big tensor at `bigOff`: `scatter` adds cols into big
 * (col2vol, the forward), otherwise copies big into cols (vol2col; cols must be zeroed first).
 * Only in-range pairs are visited; the innermost run is contiguous in cols, stride s_w in big.
 */
function transferRuns(
    info: ConvTranspose3DInfo, tables: Array<Array<[number, number]>>, channels: number,
    d0: number, d1: number, big: Float32Array, bigOff: number, cols: Float32Array,
    scatter: boolean) {
  const [kD, kH, kW] = info.kernelSize;
  const [, H, W] = info.inSize;
  const [oD, oH, oW] = info.outSize;
  const [sd, sh, sw] = info.stride;
  const [pd, ph, pw] = info.padding;
  const [dd, dh, dw] = info.dilation;
  const chunkLen = (d1 - d0) * H * W;
  const oL = oD * oH * oW;
  let m = 0;
  for (let c = 0; c < channels; c++) {
    const base = bigOff + c * oL;
    for (let kd = 0; kd < kD; kd++) {
      const [dlo, dhi] = tables[0][kd];
      const a = Math.max(dlo, d0), b = Math.min(dhi, d1);
      for (let kh = 0; kh < kH; kh++) {
        const [hlo, hhi] = tables[1][kh];
        for (let kw = 0; kw < kW; kw++, m++) {
          const [wlo, whi] = tables[2][kw];
          const n = whi - wlo;
          if (n <= 0) continue;
          const colRow = m * chunkLen;
          for (let id = a; id < b; id++) {
            const od = id * sd - pd + kd * dd;
            for (let ih = hlo; ih < hhi; ih++) {
              const oh = ih * sh - ph + kh * dh;
              let col = colRow + ((id - d0) * H + ih) * W + wlo;
              let o = base + (od * oH + oh) * oW + wlo * sw - pw + kw * dw;
              if (scatter) {
                for (let i = 0; i < n; i++, o += sw) big[o] += cols[col++];
              } else {
                for (let i = 0; i < n; i++, o += sw) cols[col++] = big[o];
              }
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
        transferRuns(info, tables, Cog, d0, d1, y, (n * Cout + g * Cog) * oL, cols, true);
      }
    }
  }
  return y;
}

/** Fills cols (rows = (c, taps) of `channels` big channels, columns = small positions). */
function vol2col(
    info: ConvTranspose3DInfo, tables: Array<Array<[number, number]>>, big: Float32Array,
    bigOff: number, channels: number, d0: number, d1: number, cols: Float32Array) {
  const kvol = info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
  cols.fill(0, 0, channels * kvol * (d1 - d0) * info.inSize[1] * info.inSize[2]);
  transferRuns(info, tables, channels, d0, d1, big, bigOff, cols, false);
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

/** db[c] = Σ_n Σ_l dy[n, c, l] (dy viewed as [N, C, L]): the bias gradient, four partial sums. */
export function biasGradient(dy: Float32Array, N: number, C: number, L: number): Float32Array {
  const db = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      let l = 0;
      for (; l + 4 <= L; l += 4) {
        s0 += dy[o + l];
        s1 += dy[o + l + 1];
        s2 += dy[o + l + 2];
        s3 += dy[o + l + 3];
      }
      for (; l < L; l++) s0 += dy[o + l];
    }
    db[c] = (s0 + s1) + (s2 + s3);
  }
  return db;
}
