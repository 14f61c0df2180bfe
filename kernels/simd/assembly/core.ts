/**
 * The WebAssembly SIMD compute core (AssemblyScript; `npm run build:wasm` compiles it into
 * ../core_wasm.ts). It mirrors kernels/cpu/compute.ts, which stays the readable oracle: one GEMM
 * per (batch, group, depth chunk) plus a col2vol/vol2col pass whose loop bounds come from per-tap
 * tables, so out-of-range positions are never visited.
 *
 * The JS side (../simd_core.ts) owns the linear memory layout: it writes the geometry into an i32
 * parameter block, copies the inputs in, calls one driver and copies the output out. Pointers are
 * byte addresses; sizes, strides and offsets are in f32 elements.
 */

// Parameter block layout (i32 slots), written by simd_core.ts.
const P_N = 0, P_G = 1, P_CIG = 2, P_COG = 3, P_D = 4, P_H = 5, P_W = 6, P_OD = 7, P_OH = 8,
      P_OW = 9, P_KD = 10, P_KH = 11, P_KW = 12, P_SD = 13, P_SH = 14, P_SW = 15, P_PD = 16,
      P_PH = 17, P_PW = 18, P_DD = 19, P_DH = 20, P_DW = 21, P_DCHUNK = 22, P_CIN = 23,
      P_COUT = 24;
/** The per-tap [lo, hi) tables (axis D, then H, then W) start at this slot. */
const P_TABLES = 32;

/**
 * Channels of one (batch, group, depth chunk) go through cols in blocks of at most this many
 * elements, so that a block stays in L2 between the GEMM and the layout pass (compute.ts chunks
 * only by depth planes; with many taps one plane can exceed L2).
 */
const COLS_BUDGET = 1 << 17;

@inline function channelBlock(channels: i32, kvol: i32, len: i32): i32 {
  return max(1, min(channels, COLS_BUDGET / max(1, kvol * len)));
}

/** GEMM blocking: a KC×8 B panel stays in L1, an MC×KC A block and a KC×NC B block in L2. */
const KC = 256, MC = 64, NC = 512;
/** Scratch the JS side reserves for us: packed A, packed B and a 4×8 tile. */
export const SCRATCH_BYTES: i32 = (MC * KC + NC * KC + 32) * 4;

let packA: usize = 0;
let packB: usize = 0;
let tile: usize = 0;

export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

@inline function p(par: usize, slot: i32): i32 {
  return load<i32>(par + (<usize>slot << 2));
}

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/**
 * C[m, n] (+)= Σ_k A(m, k) · B(k, n), A(m, k) = A[m·aSm + k·aSk], B(k, n) = B[k·bSk + n·bSn],
 * C row-major with leading dimension ldc. With `accumulate` false the first K slice overwrites C.
 * A is packed into 4-row panels, B into 8-column panels (zero padded), and a 4×8 micro-kernel
 * keeps 8 f32x4 accumulators in registers.
 */
function gemm(M: i32, N: i32, K: i32, A: usize, aSm: i32, aSk: i32, B: usize, bSk: i32, bSn: i32,
              C: usize, ldc: i32, accumulate: bool): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) for (let m = 0; m < M; m++) memory.fill(at(C, m * ldc), 0, <usize>N << 2);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kk = min(KC, K - k0);
    const add = accumulate || k0 > 0;
    for (let n0 = 0; n0 < N; n0 += NC) {
      const nc = min(NC, N - n0);
      const nPanels = (nc + 7) >> 3;
      // packB[(jp·kk + k)·8 + j] = B(k0 + k, n0 + 8·jp + j)
      for (let jp = 0; jp < nPanels; jp++) {
        const nb = n0 + (jp << 3);
        const nn = min(8, N - nb);
        let q = packB + (<usize>(jp * kk) << 5);
        if (nn == 8 && bSn == 1) {
          for (let k = 0; k < kk; k++, q += 32) {
            const src = at(B, (k0 + k) * bSk + nb);
            v128.store(q, v128.load(src));
            v128.store(q, v128.load(src, 16), 16);
          }
        } else if (nn == 8 && bSk == 1) {
          // Columns of B are contiguous (the weight gradient reads cols transposed): 4×4 blocks
          // are transposed in registers instead of gathered one float at a time.
          let k = 0;
          for (; k + 4 <= kk; k += 4, q += 128) {
            for (let h = 0; h < 2; h++) {
              const src = at(B, k0 + k + (nb + 4 * h) * bSn), step = <usize>bSn << 2;
              const r0 = v128.load(src), r1 = v128.load(src + step);
              const r2 = v128.load(src + 2 * step), r3 = v128.load(src + 3 * step);
              const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
              const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
              const o = q + (<usize>h << 4);
              v128.store(o, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
              v128.store(o, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
              v128.store(o, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
              v128.store(o, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
            }
          }
          for (; k < kk; k++, q += 32) {
            for (let j = 0; j < 8; j++) store<f32>(q + (<usize>j << 2), load<f32>(at(B, k0 + k + (nb + j) * bSn)));
          }
        } else {
          for (let k = 0; k < kk; k++, q += 32) {
            const row = (k0 + k) * bSk;
            for (let j = 0; j < 8; j++) {
              store<f32>(q + (<usize>j << 2), j < nn ? load<f32>(at(B, row + (nb + j) * bSn)) : 0);
            }
          }
        }
      }
      for (let m0 = 0; m0 < M; m0 += MC) {
        const mc = min(MC, M - m0);
        const mPanels = (mc + 3) >> 2;
        // packA[(ip·kk + k)·4 + i] = A(m0 + 4·ip + i, k0 + k)
        for (let ip = 0; ip < mPanels; ip++) {
          for (let i = 0; i < 4; i++) {
            const m = m0 + (ip << 2) + i;
            let q = packA + (<usize>(ip * kk) << 4) + (<usize>i << 2);
            if (m < M) {
              let src = at(A, m * aSm + k0 * aSk);
              const step = <usize>aSk << 2;
              for (let k = 0; k < kk; k++, q += 16, src += step) store<f32>(q, load<f32>(src));
            } else {
              for (let k = 0; k < kk; k++, q += 16) store<f32>(q, 0);
            }
          }
        }
        for (let jp = 0; jp < nPanels; jp++) {
          const nb = n0 + (jp << 3);
          const nn = min(8, N - nb);
          for (let ip = 0; ip < mPanels; ip++) {
            let pa = packA + (<usize>(ip * kk) << 4);
            let pb = packB + (<usize>(jp * kk) << 5);
            let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0);
            let c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0);
            let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
            for (const end = pa + (<usize>kk << 4); pa < end; pa += 16, pb += 32) {
              const b0 = v128.load(pb), b1 = v128.load(pb, 16);
              const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
              c00 = f32x4.add(c00, f32x4.mul(a0, b0));
              c01 = f32x4.add(c01, f32x4.mul(a0, b1));
              c10 = f32x4.add(c10, f32x4.mul(a1, b0));
              c11 = f32x4.add(c11, f32x4.mul(a1, b1));
              const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
              c20 = f32x4.add(c20, f32x4.mul(a2, b0));
              c21 = f32x4.add(c21, f32x4.mul(a2, b1));
              c30 = f32x4.add(c30, f32x4.mul(a3, b0));
              c31 = f32x4.add(c31, f32x4.mul(a3, b1));
            }
            const m = m0 + (ip << 2);
            if (nn == 8 && m + 4 <= M) {
              let pc = at(C, m * ldc + nb);
              const step = <usize>ldc << 2;
              if (add) {
                v128.store(pc, f32x4.add(v128.load(pc), c00));
                v128.store(pc, f32x4.add(v128.load(pc, 16), c01), 16);
                pc += step;
                v128.store(pc, f32x4.add(v128.load(pc), c10));
                v128.store(pc, f32x4.add(v128.load(pc, 16), c11), 16);
                pc += step;
                v128.store(pc, f32x4.add(v128.load(pc), c20));
                v128.store(pc, f32x4.add(v128.load(pc, 16), c21), 16);
                pc += step;
                v128.store(pc, f32x4.add(v128.load(pc), c30));
                v128.store(pc, f32x4.add(v128.load(pc, 16), c31), 16);
              } else {
                v128.store(pc, c00);
                v128.store(pc, c01, 16);
                pc += step;
                v128.store(pc, c10);
                v128.store(pc, c11, 16);
                pc += step;
                v128.store(pc, c20);
                v128.store(pc, c21, 16);
                pc += step;
                v128.store(pc, c30);
                v128.store(pc, c31, 16);
              }
            } else {
              v128.store(tile, c00);
              v128.store(tile, c01, 16);
              v128.store(tile, c10, 32);
              v128.store(tile, c11, 48);
              v128.store(tile, c20, 64);
              v128.store(tile, c21, 80);
              v128.store(tile, c30, 96);
              v128.store(tile, c31, 112);
              for (let i = 0; i < 4 && m + i < M; i++) {
                for (let j = 0; j < nn; j++) {
                  const pc = at(C, (m + i) * ldc + nb + j);
                  const v = load<f32>(tile + (<usize>(i * 8 + j) << 2));
                  store<f32>(pc, add ? load<f32>(pc) + v : v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Moves data between `cols` (rows = (c, kd, kh, kw) for `channels` big channels, columns = small
 * positions of depth chunk [d0, d1)) and the big tensor at element offset `bigOff`: `scatter`
 * adds cols into big (col2vol), otherwise copies big into cols (vol2col; cols zeroed first).
 */
function transfer(par: usize, channels: i32, d0: i32, d1: i32, big: usize, bigOff: i32,
                  cols: usize, scatter: bool): void {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const H = p(par, P_H), W = p(par, P_W);
  const oH = p(par, P_OH), oW = p(par, P_OW);
  const oL = p(par, P_OD) * oH * oW;
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH), pw = p(par, P_PW);
  const dd = p(par, P_DD), dh = p(par, P_DH), dw = p(par, P_DW);
  const t0 = par + (<usize>P_TABLES << 2);
  const t1 = t0 + (<usize>kD << 3), t2 = t1 + (<usize>kH << 3);
  const chunkLen = (d1 - d0) * H * W;
  const bstep = <usize>sw << 2;
  let m = 0;
  for (let c = 0; c < channels; c++) {
    const base = bigOff + c * oL;
    for (let kd = 0; kd < kD; kd++) {
      const a = max(load<i32>(t0 + (<usize>kd << 3)), d0);
      const b = min(load<i32>(t0 + (<usize>kd << 3), 4), d1);
      for (let kh = 0; kh < kH; kh++) {
        const hlo = load<i32>(t1 + (<usize>kh << 3)), hhi = load<i32>(t1 + (<usize>kh << 3), 4);
        for (let kw = 0; kw < kW; kw++, m++) {
          const wlo = load<i32>(t2 + (<usize>kw << 3)), whi = load<i32>(t2 + (<usize>kw << 3), 4);
          const n = whi - wlo;
          if (n <= 0) continue;
          const colRow = m * chunkLen;
          for (let id = a; id < b; id++) {
            const od = id * sd - pd + kd * dd;
            for (let ih = hlo; ih < hhi; ih++) {
              const oh = ih * sh - ph + kh * dh;
              let pc = at(cols, colRow + ((id - d0) * H + ih) * W + wlo);
              let pb = at(big, base + (od * oH + oh) * oW + wlo * sw - pw + kw * dw);
              let i = 0;
              if (scatter) {
                if (sw == 1) {
                  for (; i + 4 <= n; i += 4, pc += 16, pb += 16) {
                    v128.store(pb, f32x4.add(v128.load(pb), v128.load(pc)));
                  }
                } else if (sw == 2) {
                  // big[2i] += c[i]: four of cols, interleaved with zeros, into two vectors of
                  // big. Only while element i + 4 exists, so big[2i + 7] lies inside the run.
                  const z = f32x4.splat(0);
                  for (; i + 4 < n; i += 4, pc += 16, pb += 32) {
                    const v = v128.load(pc);
                    v128.store(pb, f32x4.add(v128.load(pb), v128.shuffle<f32>(v, z, 0, 4, 1, 4)));
                    v128.store(pb, f32x4.add(v128.load(pb, 16), v128.shuffle<f32>(v, z, 2, 4, 3, 4)), 16);
                  }
                }
                for (; i < n; i++, pc += 4, pb += bstep) store<f32>(pb, load<f32>(pb) + load<f32>(pc));
              } else {
                if (sw == 1) {
                  for (; i + 4 <= n; i += 4, pc += 16, pb += 16) v128.store(pc, v128.load(pb));
                } else if (sw == 2) {
                  for (; i + 4 < n; i += 4, pc += 16, pb += 32) {
                    v128.store(pc, v128.shuffle<f32>(v128.load(pb), v128.load(pb, 16), 0, 2, 4, 6));
                  }
                }
                for (; i < n; i++, pc += 4, pb += bstep) store<f32>(pc, load<f32>(pb));
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The per-phase layout shared by `scatterRows` and `gatherRows`: a big row of oW values splits
 * into sw stride phases of `stride` floats each (whole vectors plus a spare one) at the start of
 * `buf`, followed by the W-tap table tW[4·kw ..] = (first iw, iw count, buf offset of iw = 0 in
 * floats): ow = iw·sw + off lands in phase r = off mod sw at j = iw + e. Returns `stride`, or −1
 * when a row and the table do not fit `bufFloats`.
 */
function phaseTable(par: usize, buf: usize, bufFloats: i32): i32 {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const oW = p(par, P_OW), sw = p(par, P_SW), pw = p(par, P_PW), dw = p(par, P_DW);
  const t2 = par + (<usize>P_TABLES << 2) + (<usize>kD << 3) + (<usize>kH << 3);
  const nj = (oW + sw - 1) / sw;
  const stride = ((nj + 3) & ~3) + 4;
  const runs = stride * sw;
  if (runs + 4 * kW > bufFloats) return -1;
  const tW = buf + (<usize>runs << 2);
  for (let kw = 0; kw < kW; kw++) {
    const off = kw * dw - pw;
    const r = ((off % sw) + sw) % sw;
    const e = (off - r) / sw;
    const wlo = load<i32>(t2 + (<usize>kw << 3)), whi = load<i32>(t2 + (<usize>kw << 3), 4);
    const q = tW + (<usize>kw << 4);
    store<i32>(q, wlo);
    store<i32>(q, whi - wlo, 4);
    store<i32>(q, r * stride + e, 8);
  }
  return stride;
}

/**
 * col2vol for stride ≥ 2 along W, one output row at a time: the kW taps of a (kd, kh) pair all
 * land in the same output row (od, oh), each in one stride phase r (ow = j·sw + r). They are
 * summed into per-phase runs in `buf` (L1, dense, whole vectors) and the row is then updated once,
 * interleaving the phases, instead of once per tap with zero lanes. Returns false (nothing done)
 * when a row does not fit `buf`.
 */
function scatterRows(par: usize, channels: i32, d0: i32, d1: i32, big: usize, bigOff: i32,
                     cols: usize, buf: usize, bufFloats: i32): bool {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const H = p(par, P_H), W = p(par, P_W);
  const oH = p(par, P_OH), oW = p(par, P_OW);
  const oL = p(par, P_OD) * oH * oW;
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH);
  const dd = p(par, P_DD), dh = p(par, P_DH);
  const t0 = par + (<usize>P_TABLES << 2);
  const t1 = t0 + (<usize>kD << 3);
  const stride = phaseTable(par, buf, bufFloats);
  if (stride < 0) return false;
  const runs = stride * sw;
  const tW = buf + (<usize>runs << 2);
  const chunkLen = (d1 - d0) * H * W;
  const z = f32x4.splat(0);
  const lane = i32x4(0, 1, 2, 3);
  const bufEnd = buf + (<usize>runs << 2);
  for (let c = 0; c < channels; c++) {
    const base = bigOff + c * oL;
    for (let kd = 0; kd < kD; kd++) {
      const a = max(load<i32>(t0 + (<usize>kd << 3)), d0);
      const b = min(load<i32>(t0 + (<usize>kd << 3), 4), d1);
      for (let kh = 0; kh < kH; kh++) {
        const hlo = load<i32>(t1 + (<usize>kh << 3)), hhi = load<i32>(t1 + (<usize>kh << 3), 4);
        const m0 = ((c * kD + kd) * kH + kh) * kW;
        for (let id = a; id < b; id++) {
          const od = id * sd - pd + kd * dd;
          for (let ih = hlo; ih < hhi; ih++) {
            const oh = ih * sh - ph + kh * dh;
            for (let q = buf; q < bufEnd; q += 16) v128.store(q, z);
            const colRow = ((id - d0) * H + ih) * W;
            for (let kw = 0; kw < kW; kw++) {
              const q = tW + (<usize>kw << 4);
              const wlo = load<i32>(q), n = load<i32>(q, 4);
              if (n <= 0) continue;
              let pc = at(cols, (m0 + kw) * chunkLen + colRow + wlo);
              let pb = buf + (<usize>(load<i32>(q, 8) + wlo) << 2);
              let i = 0;
              for (; i + 4 <= n; i += 4, pc += 16, pb += 16) {
                v128.store(pb, f32x4.add(v128.load(pb), v128.load(pc)));
              }
              if (i < n) {
                if (n >= 4) {
                  // The last (n − i) elements: a vector ending at n, lanes already added masked.
                  const back = <usize>(4 - (n - i)) << 2;
                  const keep = i32x4.ge_s(lane, i32x4.splat(4 - (n - i)));
                  v128.store(pb - back, f32x4.add(v128.load(pb - back), v128.and(v128.load(pc - back), keep)));
                } else {
                  for (; i < n; i++, pc += 4, pb += 4) store<f32>(pb, load<f32>(pb) + load<f32>(pc));
                }
              }
            }
            const orow = at(big, base + od * oH * oW + oh * oW);
            let o = 0;
            if (sw == 2) {
              const b1 = buf + (<usize>stride << 2);
              for (; o + 8 <= oW; o += 8) {
                const jb = <usize>o << 1, v0 = v128.load(buf + jb), v1 = v128.load(b1 + jb);
                const po = orow + (<usize>o << 2);
                v128.store(po, f32x4.add(v128.load(po), v128.shuffle<f32>(v0, v1, 0, 4, 1, 5)));
                v128.store(po, f32x4.add(v128.load(po, 16), v128.shuffle<f32>(v0, v1, 2, 6, 3, 7)), 16);
              }
              for (; o < oW; o++) {
                const po = orow + (<usize>o << 2);
                store<f32>(po, load<f32>(po) + load<f32>(buf + (<usize>((o & 1) * stride + (o >> 1)) << 2)));
              }
            } else {
              for (let r = 0; r < sw; r++) {
                let pb = buf + (<usize>(r * stride) << 2);
                for (let x = r; x < oW; x += sw, pb += 4) {
                  const po = orow + (<usize>x << 2);
                  store<f32>(po, load<f32>(po) + load<f32>(pb));
                }
              }
            }
          }
        }
      }
    }
  }
  return true;
}

/**
 * vol2col for stride ≥ 2 along W, the mirror of `scatterRows`: each big row (od, oh) that a
 * (kd, kh) pair reads is split once into its stride phases in `buf`, and every W tap then copies
 * a dense run of one phase into cols. cols must be zeroed first (out-of-range taps stay 0).
 */
function gatherRows(par: usize, channels: i32, d0: i32, d1: i32, big: usize, bigOff: i32,
                    cols: usize, buf: usize, bufFloats: i32): bool {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const H = p(par, P_H), W = p(par, P_W);
  const oH = p(par, P_OH), oW = p(par, P_OW);
  const oL = p(par, P_OD) * oH * oW;
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH);
  const dd = p(par, P_DD), dh = p(par, P_DH);
  const t0 = par + (<usize>P_TABLES << 2);
  const t1 = t0 + (<usize>kD << 3);
  const stride = phaseTable(par, buf, bufFloats);
  if (stride < 0) return false;
  const runs = stride * sw;
  const tW = buf + (<usize>runs << 2);
  const chunkLen = (d1 - d0) * H * W;
  for (let c = 0; c < channels; c++) {
    const base = bigOff + c * oL;
    for (let kd = 0; kd < kD; kd++) {
      const a = max(load<i32>(t0 + (<usize>kd << 3)), d0);
      const b = min(load<i32>(t0 + (<usize>kd << 3), 4), d1);
      for (let kh = 0; kh < kH; kh++) {
        const hlo = load<i32>(t1 + (<usize>kh << 3)), hhi = load<i32>(t1 + (<usize>kh << 3), 4);
        const m0 = ((c * kD + kd) * kH + kh) * kW;
        for (let id = a; id < b; id++) {
          const od = id * sd - pd + kd * dd;
          for (let ih = hlo; ih < hhi; ih++) {
            const oh = ih * sh - ph + kh * dh;
            const orow = at(big, base + od * oH * oW + oh * oW);
            let o = 0;
            if (sw == 2) {
              const b1 = buf + (<usize>stride << 2);
              for (; o + 8 <= oW; o += 8) {
                const po = orow + (<usize>o << 2), v0 = v128.load(po), v1 = v128.load(po, 16);
                const jb = <usize>o << 1;
                v128.store(buf + jb, v128.shuffle<f32>(v0, v1, 0, 2, 4, 6));
                v128.store(b1 + jb, v128.shuffle<f32>(v0, v1, 1, 3, 5, 7));
              }
              for (; o < oW; o++) {
                store<f32>(buf + (<usize>((o & 1) * stride + (o >> 1)) << 2), load<f32>(orow + (<usize>o << 2)));
              }
            } else {
              for (let r = 0; r < sw; r++) {
                let pb = buf + (<usize>(r * stride) << 2);
                for (let x = r; x < oW; x += sw, pb += 4) store<f32>(pb, load<f32>(orow + (<usize>x << 2)));
              }
            }
            const colRow = ((id - d0) * H + ih) * W;
            for (let kw = 0; kw < kW; kw++) {
              const q = tW + (<usize>kw << 4);
              const wlo = load<i32>(q), n = load<i32>(q, 4);
              if (n <= 0) continue;
              let pc = at(cols, (m0 + kw) * chunkLen + colRow + wlo);
              let pb = buf + (<usize>(load<i32>(q, 8) + wlo) << 2);
              if (n >= 4) {
                // Whole vectors, the last one ending at n (an overlap rewrites equal values).
                const last = <usize>(n - 4) << 2;
                v128.store(pc + last, v128.load(pb + last));
                for (let i = 0; i + 4 <= n; i += 4, pc += 16, pb += 16) v128.store(pc, v128.load(pb));
              } else {
                for (let i = 0; i < n; i++, pc += 4, pb += 4) store<f32>(pc, load<f32>(pb));
              }
            }
          }
        }
      }
    }
  }
  return true;
}

/**
 * Depthwise groups (one channel in, one out) skip the GEMM and cols: the same tap loops as
 * `transfer` apply each tap's weight directly. mode 0: big[o] += w[m]·small[l] (forward);
 * 1: small[l] += w[m]·big[o] (conv3d); 2: w[m] += Σ small[l]·big[o] (weight gradient).
 */
function direct(par: usize, mode: i32, big: usize, small: usize, w: usize): void {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const H = p(par, P_H), W = p(par, P_W);
  const oH = p(par, P_OH), oW = p(par, P_OW);
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH), pw = p(par, P_PW);
  const dd = p(par, P_DD), dh = p(par, P_DH), dw = p(par, P_DW);
  const t0 = par + (<usize>P_TABLES << 2);
  const t1 = t0 + (<usize>kD << 3), t2 = t1 + (<usize>kH << 3);
  const bstep = <usize>sw << 2;
  const z = f32x4.splat(0);
  let m = 0;
  for (let kd = 0; kd < kD; kd++) {
    const a = load<i32>(t0 + (<usize>kd << 3)), b = load<i32>(t0 + (<usize>kd << 3), 4);
    for (let kh = 0; kh < kH; kh++) {
      const hlo = load<i32>(t1 + (<usize>kh << 3)), hhi = load<i32>(t1 + (<usize>kh << 3), 4);
      for (let kw = 0; kw < kW; kw++, m++) {
        const wlo = load<i32>(t2 + (<usize>kw << 3)), whi = load<i32>(t2 + (<usize>kw << 3), 4);
        const n = whi - wlo;
        if (n <= 0) continue;
        const pwt = at(w, m);
        const wv = load<f32>(pwt);
        const wx = f32x4.splat(wv);
        let acc = f32x4.splat(0);
        let accs: f32 = 0;
        for (let id = a; id < b; id++) {
          const od = id * sd - pd + kd * dd;
          for (let ih = hlo; ih < hhi; ih++) {
            const oh = ih * sh - ph + kh * dh;
            let ps = at(small, (id * H + ih) * W + wlo);
            let pb = at(big, (od * oH + oh) * oW + wlo * sw - pw + kw * dw);
            let i = 0;
            if (mode == 0) {
              if (sw == 1) {
                for (; i + 4 <= n; i += 4, ps += 16, pb += 16) {
                  v128.store(pb, f32x4.add(v128.load(pb), f32x4.mul(wx, v128.load(ps))));
                }
              } else if (sw == 2) {
                for (; i + 4 < n; i += 4, ps += 16, pb += 32) {
                  const v = f32x4.mul(wx, v128.load(ps));
                  v128.store(pb, f32x4.add(v128.load(pb), v128.shuffle<f32>(v, z, 0, 4, 1, 4)));
                  v128.store(pb, f32x4.add(v128.load(pb, 16), v128.shuffle<f32>(v, z, 2, 4, 3, 4)), 16);
                }
              }
              for (; i < n; i++, ps += 4, pb += bstep) {
                store<f32>(pb, load<f32>(pb) + wv * load<f32>(ps));
              }
            } else {
              let gather = z;
              for (; i + 4 < n; i += 4, ps += 16, pb += 4 * bstep) {
                if (sw == 1) {
                  gather = v128.load(pb);
                } else if (sw == 2) {
                  gather = v128.shuffle<f32>(v128.load(pb), v128.load(pb, 16), 0, 2, 4, 6);
                } else {
                  break;
                }
                if (mode == 1) {
                  v128.store(ps, f32x4.add(v128.load(ps), f32x4.mul(wx, gather)));
                } else {
                  acc = f32x4.add(acc, f32x4.mul(v128.load(ps), gather));
                }
              }
              if (mode == 1) {
                for (; i < n; i++, ps += 4, pb += bstep) {
                  store<f32>(ps, load<f32>(ps) + wv * load<f32>(pb));
                }
              } else {
                for (; i < n; i++, ps += 4, pb += bstep) accs += load<f32>(ps) * load<f32>(pb);
              }
            }
          }
        }
        if (mode == 2) {
          store<f32>(pwt, wv + accs + f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
                              f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        }
      }
    }
  }
}

/**
 * Depthwise forward, one output row at a time (gather over D and H, per stride phase along W), so
 * every output element is written once: for the row (od, oh) only the (kd, kh) taps that reach it
 * are visited, and along W the outputs of phase r (ow = j·sw + r) form a dense run that each
 * tap kw with (kw·dw − pw) ≡ r (mod sw) updates with a plain SIMD axpy (no zero taps, no
 * shuffles). The phase runs live in `buf` (L1; they start at the bias) and are interleaved into
 * the output row at the end. Returns false (nothing done) when a row does not fit `buf`.
 */
function depthwiseRows(par: usize, big: usize, small: usize, w: usize, biasValue: f32,
                       buf: usize, bufFloats: i32, pad: usize, padFloats: i32): bool {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const D = p(par, P_D), H = p(par, P_H), W = p(par, P_W);
  const oD = p(par, P_OD), oH = p(par, P_OH), oW = p(par, P_OW);
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH), pw = p(par, P_PW);
  const dd = p(par, P_DD), dh = p(par, P_DH), dw = p(par, P_DW);
  const nj = (oW + sw - 1) / sw;      // outputs of phase 0 (the longest)
  const nv = (nj + 3) & ~3;           // … rounded up to whole vectors
  const stride = nv + 4;              // floats between phase runs
  // Along W, tap kw feeds phase r = off mod sw (off = kw·dw − pw) with iw = j − e. Reading the
  // input through rows padded with zeros (lp in front) lets every tap run over whole vectors.
  const offMin = -pw, offMax = (kW - 1) * dw - pw;
  const eMin = (offMin - (((offMin % sw) + sw) % sw)) / sw;
  const eMax = (offMax - (((offMax % sw) + sw) % sw)) / sw;
  const lp = max(0, eMax), wp = lp + max(W, nv - eMin);
  const tab = buf + (<usize>(stride * sw) << 2);
  if (stride * sw + oD * kD + oH * kH + 4 * kW > bufFloats || D * H * wp > padFloats) return false;
  // Tables (no divisions in the loops): tD[od·kD + kd] = id reached by tap kd, or −1; tH alike;
  // tW[4·kw ..] = (phase r, input shift e, 1 if the tap reaches any output).
  const tD = tab, tH = tD + (<usize>(oD * kD) << 2), tW = tH + (<usize>(oH * kH) << 2);
  for (let o = 0; o < oD; o++) {
    for (let k = 0; k < kD; k++) {
      const t = o + pd - k * dd;
      store<i32>(tD + (<usize>(o * kD + k) << 2), t >= 0 && t % sd == 0 && t / sd < D ? t / sd : -1);
    }
  }
  for (let o = 0; o < oH; o++) {
    for (let k = 0; k < kH; k++) {
      const t = o + ph - k * dh;
      store<i32>(tH + (<usize>(o * kH + k) << 2), t >= 0 && t % sh == 0 && t / sh < H ? t / sh : -1);
    }
  }
  for (let kw = 0; kw < kW; kw++) {
    const off = kw * dw - pw;
    const r = ((off % sw) + sw) % sw;
    const e = (off - r) / sw;
    const q = tW + (<usize>kw << 4);
    store<i32>(q, r * stride);
    store<i32>(q, lp - e, 4);
    store<i32>(q, max(0, e) < min((oW - r + sw - 1) / sw, W + e) ? 1 : 0, 8);
  }
  memory.fill(pad, 0, <usize>(D * H * wp) << 2);
  for (let row = 0; row < D * H; row++) {
    memory.copy(pad + (<usize>(row * wp + lp) << 2), small + (<usize>(row * W) << 2), <usize>W << 2);
  }
  const bv = f32x4.splat(biasValue);
  const bufEnd = buf + (<usize>(stride * sw) << 2);
  for (let od = 0; od < oD; od++) {
    for (let oh = 0; oh < oH; oh++) {
      for (let q = buf; q < bufEnd; q += 16) v128.store(q, bv);
      for (let kd = 0; kd < kD; kd++) {
        const id = load<i32>(tD + (<usize>(od * kD + kd) << 2));
        if (id < 0) continue;
        for (let kh = 0; kh < kH; kh++) {
          const ih = load<i32>(tH + (<usize>(oh * kH + kh) << 2));
          if (ih < 0) continue;
          const xrow = pad + (<usize>((id * H + ih) * wp) << 2);
          const wrow = at(w, (kd * kH + kh) * kW);
          for (let kw = 0; kw < kW; kw++) {
            const q = tW + (<usize>kw << 4);
            if (load<i32>(q, 8) == 0) continue;
            const wx = v128.load32_splat(wrow + (<usize>kw << 2));
            let pb = buf + (<usize>load<i32>(q) << 2);
            let ps = xrow + (<usize>load<i32>(q, 4) << 2);
            for (const end = pb + (<usize>nv << 2); pb < end; pb += 16, ps += 16) {
              v128.store(pb, f32x4.add(v128.load(pb), f32x4.mul(wx, v128.load(ps))));
            }
          }
        }
      }
      const orow = at(big, (od * oH + oh) * oW);
      let i = 0;
      if (sw == 1) {
        for (; i + 4 <= oW; i += 4) v128.store(orow + (<usize>i << 2), v128.load(buf + (<usize>i << 2)));
        for (; i < oW; i++) store<f32>(orow + (<usize>i << 2), load<f32>(buf + (<usize>i << 2)));
      } else if (sw == 2) {
        const b1 = buf + (<usize>stride << 2);
        for (; i + 8 <= oW; i += 8) {
          const o = <usize>i << 1, v0 = v128.load(buf + o), v1 = v128.load(b1 + o);
          v128.store(orow + (<usize>i << 2), v128.shuffle<f32>(v0, v1, 0, 4, 1, 5));
          v128.store(orow + (<usize>i << 2), v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), 16);
        }
        for (; i < oW; i++) {
          store<f32>(orow + (<usize>i << 2), load<f32>(buf + (<usize>((i & 1) * stride + (i >> 1)) << 2)));
        }
      } else {
        for (let r = 0; r < sw; r++) {
          let pb = buf + (<usize>(r * stride) << 2);
          for (let o = r; o < oW; o += sw, pb += 4) store<f32>(orow + (<usize>o << 2), load<f32>(pb));
        }
      }
    }
  }
  return true;
}

/**
 * Splits one big row into its stride phases along W, zero-padded:
 * dst[r·stride + j − eMin] = row[j·sw + r] for j ∈ [eMin, jEnd), 0 where j·sw + r is outside.
 */
function splitRow(row: usize, dst: usize, oW: i32, sw: i32, stride: i32, eMin: i32, jEnd: i32): void {
  const z = f32x4.splat(0);
  for (let q = dst, end = dst + (<usize>(stride * sw) << 2); q < end; q += 16) v128.store(q, z);
  for (let r = 0; r < sw; r++) {
    const jlo = max(0, eMin), jhi = min((oW - r + sw - 1) / sw, jEnd);
    let pb = dst + (<usize>(r * stride + jlo - eMin) << 2);
    let po = row + (<usize>(jlo * sw + r) << 2);
    let j = jlo;
    if (sw == 1) {
      for (; j + 4 <= jhi; j += 4, pb += 16, po += 16) v128.store(pb, v128.load(po));
    } else if (sw == 2) {
      for (; j + 4 <= jhi; j += 4, pb += 16, po += 32) {
        v128.store(pb, v128.shuffle<f32>(v128.load(po), v128.load(po, 16), 0, 2, 4, 6));
      }
    }
    const step = <usize>sw << 2;
    for (; j < jhi; j++, pb += 4, po += step) store<f32>(pb, load<f32>(po));
  }
}

/**
 * Depthwise conv3d (mode 1: small += w ⋆ big) and weight gradient (mode 2: w += Σ small·big),
 * one small row (id, ih) at a time: each big row (od, oh) that a (kd, kh) pair reads is split
 * into its stride phases along W in `buf`, zero-padded so every kw tap is a whole-vector run
 * (iw = j − e in phase r). The small row is read from / accumulated in `row` (zero-padded to
 * whole vectors). Mode 2 keeps one f32x4 accumulator per tap in `acc`. Returns false (nothing
 * done) when the buffers do not fit `buf`.
 */
function depthwiseGatherRows(par: usize, mode: i32, big: usize, small: usize, w: usize,
                             buf: usize, bufFloats: i32, pre: usize, preFloats: i32): bool {
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const D = p(par, P_D), H = p(par, P_H), W = p(par, P_W);
  const oD = p(par, P_OD), oH = p(par, P_OH), oW = p(par, P_OW);
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH), pw = p(par, P_PW);
  const dd = p(par, P_DD), dh = p(par, P_DH), dw = p(par, P_DW);
  const wv = (W + 3) & ~3;
  const offMin = -pw, offMax = (kW - 1) * dw - pw;
  const eMin = (offMin - (((offMin % sw) + sw) % sw)) / sw;
  const eMax = (offMax - (((offMax % sw) + sw) % sw)) / sw;
  // Phase r holds j ∈ [eMin, wv + eMax) at buf[r·stride + j − eMin].
  const stride = (wv + eMax - eMin + 3) & ~3;
  const kvol = kD * kH * kW;
  const row = buf + (<usize>(stride * sw) << 2);
  const tW = row + (<usize>wv << 2);
  const acc = tW + (<usize>(4 * kW) << 2);
  if (stride * sw + wv + 4 * kW + 4 * kvol > bufFloats) return false;
  for (let kw = 0; kw < kW; kw++) {
    const off = kw * dw - pw;
    const r = ((off % sw) + sw) % sw;
    const e = (off - r) / sw;
    store<i32>(tW + (<usize>kw << 4), r * stride + e - eMin);
  }
  const z = f32x4.splat(0);
  for (let q = acc, end = acc + (<usize>kvol << 4); q < end; q += 16) v128.store(q, z);
  // Each big row is read by several (small row, kd, kh): split them all once when they fit `pre`.
  const split = oD * oH * stride * sw <= preFloats;
  if (split) {
    for (let o = 0; o < oD * oH; o++) {
      splitRow(at(big, o * oW), pre + (<usize>(o * stride * sw) << 2), oW, sw, stride, eMin, wv + eMax);
    }
  }
  for (let id = 0; id < D; id++) {
    for (let ih = 0; ih < H; ih++) {
      const srow = at(small, (id * H + ih) * W);
      for (let i = 0; i < wv; i += 4) v128.store(row + (<usize>i << 2), z);
      if (mode == 2) memory.copy(row, srow, <usize>W << 2);
      for (let kd = 0; kd < kD; kd++) {
        const od = id * sd - pd + kd * dd;
        if (od < 0 || od >= oD) continue;
        for (let kh = 0; kh < kH; kh++) {
          const oh = ih * sh - ph + kh * dh;
          if (oh < 0 || oh >= oH) continue;
          let phases = buf;
          if (split) {
            phases = pre + (<usize>((od * oH + oh) * stride * sw) << 2);
          } else {
            splitRow(at(big, (od * oH + oh) * oW), buf, oW, sw, stride, eMin, wv + eMax);
          }
          const m0 = (kd * kH + kh) * kW;
          for (let kw = 0; kw < kW; kw++) {
            let pb = phases + (<usize>load<i32>(tW + (<usize>kw << 4)) << 2);
            let ps = row;
            const end = row + (<usize>wv << 2);
            if (mode == 1) {
              const wx = v128.load32_splat(at(w, m0 + kw));
              for (; ps < end; ps += 16, pb += 16) {
                v128.store(ps, f32x4.add(v128.load(ps), f32x4.mul(wx, v128.load(pb))));
              }
            } else {
              const pa = acc + (<usize>(m0 + kw) << 4);
              let a = v128.load(pa);
              for (; ps < end; ps += 16, pb += 16) a = f32x4.add(a, f32x4.mul(v128.load(ps), v128.load(pb)));
              v128.store(pa, a);
            }
          }
        }
      }
      if (mode == 1) {
        let i = 0;
        for (; i + 4 <= W; i += 4) {
          const q = srow + (<usize>i << 2);
          v128.store(q, f32x4.add(v128.load(q), v128.load(row + (<usize>i << 2))));
        }
        for (; i < W; i++) {
          const q = srow + (<usize>i << 2);
          store<f32>(q, load<f32>(q) + load<f32>(row + (<usize>i << 2)));
        }
      }
    }
  }
  if (mode == 2) {
    for (let m = 0; m < kvol; m++) {
      const a = v128.load(acc + (<usize>m << 4)), pwt = at(w, m);
      store<f32>(pwt, load<f32>(pwt) + f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) +
                      f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
    }
  }
  return true;
}

function fillBias(y: usize, bias: usize, batch: i32, channels: i32, len: i32): void {
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const v = f32x4.splat(bias == 0 ? 0 : load<f32>(at(bias, c)));
      let q = at(y, (n * channels + c) * len);
      const end = q + (<usize>len << 2);
      for (; q + 16 <= end; q += 16) v128.store(q, v);
      for (; q < end; q += 4) store<f32>(q, f32x4.extract_lane(v, 0));
    }
  }
}

function setScratch(scratch: usize): void {
  packA = scratch;
  packB = packA + (<usize>(MC * KC) << 2);
  tile = packB + (<usize>(NC * KC) << 2);
}

/** y = convTranspose3d(x, w) + bias (bias 0: none). x: small side, y: big side. */
export function forward(par: usize, x: usize, w: usize, bias: usize, y: usize, cols: usize,
                        scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), plane = p(par, P_H) * p(par, P_W);
  const L = D * plane, oL = p(par, P_OD) * p(par, P_OH) * p(par, P_OW);
  const kvol = p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT), dChunk = p(par, P_DCHUNK);
  const M = Cog * kvol;
  if (Cig == 1 && Cog == 1) {
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        const py = at(y, (n * Cout + g) * oL), px = at(x, (n * Cin + g) * L), pw = at(w, g * kvol);
        if (!depthwiseRows(par, py, px, pw, bias == 0 ? 0 : load<f32>(at(bias, g)), packA, MC * KC,
                           packB, NC * KC)) {
          fillBias(py, bias == 0 ? 0 : at(bias, g), 1, 1, oL);
          direct(par, 0, py, px, pw);
        }
      }
    }
    return;
  }
  fillBias(y, bias, N, Cout, oL);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xOff = (n * Cin + g * Cig) * L;
      const wOff = g * Cig * M;
      for (let d0 = 0; d0 < D; d0 += dChunk) {
        const d1 = min(D, d0 + dChunk);
        const len = (d1 - d0) * plane;
        const cb = channelBlock(Cog, kvol, len);
        for (let c0 = 0; c0 < Cog; c0 += cb) {
          const nc = min(cb, Cog - c0);
          // cols[m, l] = Σ_ci W[ci, c0·kvol + m] · x[ci, l]
          gemm(nc * kvol, len, Cig, at(w, wOff + c0 * kvol), 1, M, at(x, xOff + d0 * plane), L, 1,
               cols, len, false);
          const bigOff = (n * Cout + g * Cog + c0) * oL;
          if (p(par, P_SW) == 1 || !scatterRows(par, nc, d0, d1, y, bigOff, cols, packA, MC * KC)) {
            transfer(par, nc, d0, d1, y, bigOff, cols, true);
          }
        }
      }
    }
  }
}

function vol2col(par: usize, big: usize, bigOff: i32, channels: i32, d0: i32, d1: i32,
                 cols: usize): void {
  const kvol = p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const len = (d1 - d0) * p(par, P_H) * p(par, P_W);
  memory.fill(cols, 0, <usize>(channels * kvol * len) << 2);
  if (p(par, P_SW) == 1 || !gatherRows(par, channels, d0, d1, big, bigOff, cols, packA, MC * KC)) {
    transfer(par, channels, d0, d1, big, bigOff, cols, false);
  }
}

/** y = conv3d(x, w) + bias, PyTorch semantics. x: big side, y: small side. */
export function conv3d(par: usize, x: usize, w: usize, bias: usize, y: usize, cols: usize,
                       scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), plane = p(par, P_H) * p(par, P_W);
  const L = D * plane, oL = p(par, P_OD) * p(par, P_OH) * p(par, P_OW);
  const kvol = p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT), dChunk = p(par, P_DCHUNK);
  const K = Cog * kvol;
  fillBias(y, bias, N, Cin, L);
  if (Cig == 1 && Cog == 1) {
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        const pb = at(x, (n * Cout + g) * oL), ps = at(y, (n * Cin + g) * L), pw = at(w, g * kvol);
        if (!depthwiseGatherRows(par, 1, pb, ps, pw, packA, MC * KC, packB, NC * KC)) direct(par, 1, pb, ps, pw);
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const bigOff = (n * Cout + g * Cog) * oL;
      for (let d0 = 0; d0 < D; d0 += dChunk) {
        const d1 = min(D, d0 + dChunk);
        const len = (d1 - d0) * plane;
        const cb = channelBlock(Cog, kvol, len);
        for (let c0 = 0; c0 < Cog; c0 += cb) {
          const nc = min(cb, Cog - c0);
          vol2col(par, x, bigOff + c0 * oL, nc, d0, d1, cols);
          // y[ci, l] += Σ_m W[ci, c0·kvol + m] · cols[m, l]
          gemm(Cig, len, nc * kvol, at(w, g * Cig * K + c0 * kvol), K, 1, cols, len, 1,
               at(y, (n * Cin + g * Cig) * L + d0 * plane), L, true);
        }
      }
    }
  }
}

/** dW = Σ_n Σ_l x[n, ci, l] · vol2col(dy)[m, l]. x: small side, dy: big side. */
export function weightGrad(par: usize, x: usize, dy: usize, dw: usize, cols: usize,
                           scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), plane = p(par, P_H) * p(par, P_W);
  const L = D * plane, oL = p(par, P_OD) * p(par, P_OH) * p(par, P_OW);
  const kvol = p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT), dChunk = p(par, P_DCHUNK);
  const M = Cog * kvol;
  memory.fill(dw, 0, <usize>(Cin * M) << 2);
  if (Cig == 1 && Cog == 1) {
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        const pb = at(dy, (n * Cout + g) * oL), ps = at(x, (n * Cin + g) * L), pw = at(dw, g * kvol);
        if (!depthwiseGatherRows(par, 2, pb, ps, pw, packA, MC * KC, packB, NC * KC)) direct(par, 2, pb, ps, pw);
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const bigOff = (n * Cout + g * Cog) * oL;
      const xOff = (n * Cin + g * Cig) * L;
      for (let d0 = 0; d0 < D; d0 += dChunk) {
        const d1 = min(D, d0 + dChunk);
        const len = (d1 - d0) * plane;
        const cb = channelBlock(Cog, kvol, len);
        for (let c0 = 0; c0 < Cog; c0 += cb) {
          const nc = min(cb, Cog - c0);
          vol2col(par, dy, bigOff + c0 * oL, nc, d0, d1, cols);
          // dW[ci, c0·kvol + m] += Σ_l x[ci, l] · cols[m, l]
          gemm(Cig, nc * kvol, len, at(x, xOff + d0 * plane), L, 1, cols, 1, len,
               at(dw, g * Cig * M + c0 * kvol), M, true);
        }
      }
    }
  }
}
