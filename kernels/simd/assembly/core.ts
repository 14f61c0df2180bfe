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

// Parameter block layout (i32 slots), written by simd_core.ts. P_L0, P_L1: conv3dDirect's range
// of small positions (the thread pool's position slices; P_L1 = 0: all).
const P_N = 0, P_G = 1, P_CIG = 2, P_COG = 3, P_D = 4, P_H = 5, P_W = 6, P_OD = 7, P_OH = 8,
      P_OW = 9, P_KD = 10, P_KH = 11, P_KW = 12, P_SD = 13, P_SH = 14, P_SW = 15, P_PD = 16,
      P_PH = 17, P_PW = 18, P_DD = 19, P_DH = 20, P_DW = 21, P_DCHUNK = 22, P_CIN = 23,
      P_COUT = 24, P_L0 = 25, P_L1 = 26;
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

/**
 * a·b + c in four lanes: the micro-kernels' only multiply-add. The relaxed-SIMD build (compiled
 * with `--enable relaxed-simd`, see scripts/build_wasm.mjs) emits one fused `f32x4.relaxed_madd`
 * (FMA where the CPU has it; the engine may also round twice); the plain SIMD build a multiply and
 * an add, as before. ASC_FEATURE_RELAXED_SIMD is a compile-time constant: no branch at run time.
 */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

@inline function p(par: usize, slot: i32): i32 {
  return load<i32>(par + (<usize>slot << 2));
}

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/**
 * Writes (with `add`: adds) a 4×8 accumulator tile (rows c0*, …, c3*) into C at row m, column nb,
 * clipped to M rows and nn columns (the clipped case goes through the scratch `tile`).
 */
@inline function storeTile(C: usize, ldc: i32, m: i32, nb: i32, M: i32, nn: i32, add: bool,
                           c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128,
                           c30: v128, c31: v128): void {
  if (nn == 8 && m + 4 <= M) {
    const step = <usize>ldc << 2;
    let pc = at(C, m * ldc + nb);
    if (add) {
      c00 = f32x4.add(c00, v128.load(pc));
      c01 = f32x4.add(c01, v128.load(pc, 16));
      c10 = f32x4.add(c10, v128.load(pc + step));
      c11 = f32x4.add(c11, v128.load(pc + step, 16));
      c20 = f32x4.add(c20, v128.load(pc + 2 * step));
      c21 = f32x4.add(c21, v128.load(pc + 2 * step, 16));
      c30 = f32x4.add(c30, v128.load(pc + 3 * step));
      c31 = f32x4.add(c31, v128.load(pc + 3 * step, 16));
    }
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

/** `storeTile` for one row of 8 (c*0, c*1) at row m (nothing when m ≥ M). */
@inline function storeRow(C: usize, ldc: i32, m: i32, nb: i32, M: i32, nn: i32, add: bool,
                          c0: v128, c1: v128): void {
  if (m < M) {
    const pc = at(C, m * ldc + nb);
    if (nn == 8) {
      if (add) {
        c0 = f32x4.add(c0, v128.load(pc));
        c1 = f32x4.add(c1, v128.load(pc, 16));
      }
      v128.store(pc, c0);
      v128.store(pc, c1, 16);
    } else {
      v128.store(tile, c0);
      v128.store(tile, c1, 16);
      for (let j = 0; j < nn; j++) {
        const q = pc + (<usize>j << 2), v = load<f32>(tile + (<usize>j << 2));
        store<f32>(q, add ? load<f32>(q) + v : v);
      }
    }
  }
}

/** How `gemm` addresses B: B(k, n) = B[k·bSk + n·bSn], B[tab[k] + n] or B[tab[n] + k]. */
const B_STRIDED = 0, B_ROWS = 1, B_COLS = 2;

/** Four 4-float rows a, b, c, d, transposed into four rows of a B panel (32 bytes apart). */
@inline function transpose4(q: usize, a: usize, b: usize, c: usize, d: usize): void {
  const r0 = v128.load(a), r1 = v128.load(b), r2 = v128.load(c), r3 = v128.load(d);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(q, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(q, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
  v128.store(q, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
  v128.store(q, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
}

/** Where B_COLS column j (≤ last, the last one repeated past it) of a panel starts, at k = kb. */
@inline function column(B: usize, tb: usize, j: i32, last: i32, kb: i32): usize {
  return at(B, load<i32>(tb + (<usize>min(j, last) << 2)) + kb);
}

/**
 * C[m, n] (+)= Σ_k A(m, k) · B(k, n), A(m, k) = A[m·aSm + k·aSk], B(k, n) as `bMode` says
 * (B_ROWS and B_COLS take an i32 offset table `bTab`; B_COLS with a table `kTab` reads
 * B[tab[n] + kTab[k / 4] + k mod 4] (K in runs of 4 at arbitrary offsets; K and KC multiples of
 * 4), B_ROWS with one reads B[tab[k] + kTab[n / 8] + n mod 8] (N in tiles of 8 at arbitrary
 * offsets). Both read whole 8-column panels, so past
 * column N they read junk columns that are never stored: the caller leaves slack after B),
 * C row-major with leading dimension ldc. With `accumulate` false the first K slice overwrites C.
 * A is packed into 4-row panels, B into 8-column panels (zero padded), and a 4×8 micro-kernel
 * keeps 8 f32x4 accumulators in registers.
 */
function gemm(M: i32, N: i32, K: i32, A: usize, aSm: i32, aSk: i32, B: usize, bSk: i32, bSn: i32,
              C: usize, ldc: i32, accumulate: bool, bMode: i32 = B_STRIDED, bTab: usize = 0,
              kTab: usize = 0): void {
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
        if (bMode == B_ROWS) {
          let t = bTab + (<usize>k0 << 2);
          const col = kTab == 0 ? nb : load<i32>(kTab + (<usize>(nb >> 3) << 2));
          for (let k = 0; k < kk; k++, q += 32, t += 4) {
            const src = at(B, load<i32>(t) + col);
            v128.store(q, v128.load(src));
            v128.store(q, v128.load(src, 16), 16);
          }
        } else if (bMode == B_COLS) {
          // Columns are contiguous: 4×4 blocks are transposed in registers. Past N the last
          // column is read again (junk, never stored).
          const tb = bTab + (<usize>nb << 2), last = nn - 1, kb = kTab == 0 ? k0 : 0;
          const s0 = column(B, tb, 0, last, kb), s1 = column(B, tb, 1, last, kb);
          const s2 = column(B, tb, 2, last, kb), s3 = column(B, tb, 3, last, kb);
          const s4 = column(B, tb, 4, last, kb), s5 = column(B, tb, 5, last, kb);
          const s6 = column(B, tb, 6, last, kb), s7 = column(B, tb, 7, last, kb);
          let k = 0;
          for (; k + 4 <= kk; k += 4, q += 128) {
            const o = kTab == 0 ? <usize>k << 2 :
                <usize>load<i32>(kTab + (<usize>((k0 + k) >> 2) << 2)) << 2;
            transpose4(q, s0 + o, s1 + o, s2 + o, s3 + o);
            transpose4(q + 16, s4 + o, s5 + o, s6 + o, s7 + o);
          }
          for (; k < kk; k++, q += 32) {
            const o = kTab == 0 ? <usize>k << 2 :
                (<usize>(load<i32>(kTab + (<usize>((k0 + k) >> 2) << 2)) + ((k0 + k) & 3)) << 2);
            store<f32>(q, load<f32>(s0 + o));
            store<f32>(q, load<f32>(s1 + o), 4);
            store<f32>(q, load<f32>(s2 + o), 8);
            store<f32>(q, load<f32>(s3 + o), 12);
            store<f32>(q, load<f32>(s4 + o), 16);
            store<f32>(q, load<f32>(s5 + o), 20);
            store<f32>(q, load<f32>(s6 + o), 24);
            store<f32>(q, load<f32>(s7 + o), 28);
          }
        } else if (nn == 8 && bSn == 1) {
          for (let k = 0; k < kk; k++, q += 32) {
            const src = at(B, (k0 + k) * bSk + nb);
            v128.store(q, v128.load(src));
            v128.store(q, v128.load(src, 16), 16);
          }
        } else if (nn == 8 && bSk == 1) {
          // Columns of B are contiguous (the weight gradient reads cols transposed): 4×4 blocks
          // are transposed in registers instead of gathered one float at a time.
          const step = <usize>bSn << 2;
          let k = 0;
          for (; k + 4 <= kk; k += 4, q += 128) {
            const src = at(B, k0 + k + nb * bSn);
            transpose4(q, src, src + step, src + 2 * step, src + 3 * step);
            transpose4(q + 16, src + 4 * step, src + 5 * step, src + 6 * step, src + 7 * step);
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
              c00 = madd(a0, b0, c00);
              c01 = madd(a0, b1, c01);
              c10 = madd(a1, b0, c10);
              c11 = madd(a1, b1, c11);
              const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
              c20 = madd(a2, b0, c20);
              c21 = madd(a2, b1, c21);
              c30 = madd(a3, b0, c30);
              c31 = madd(a3, b1, c31);
            }
            storeTile(C, ldc, m0 + (ip << 2), nb, M, nn, add, c00, c01, c10, c11, c20, c21, c30, c31);
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
                  v128.store(pb, madd(wx, v128.load(ps), v128.load(pb)));
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
                  v128.store(ps, madd(wx, gather, v128.load(ps)));
                } else {
                  acc = madd(v128.load(ps), gather, acc);
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
              v128.store(pb, madd(wx, v128.load(ps), v128.load(pb)));
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
                v128.store(ps, madd(wx, v128.load(pb), v128.load(ps)));
              }
            } else {
              const pa = acc + (<usize>(m0 + kw) << 4);
              let a = v128.load(pa);
              for (; ps < end; ps += 16, pb += 16) a = madd(v128.load(ps), v128.load(pb), a);
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

// ---------------------------------------------------------------------------------------------
// Implicit GEMM over stride phases: no cols buffer, and the big tensor is written (forward) or
// read (conv3d, weight gradient) once.
//
// Along one axis a tap k with off = k·d − p links small index i and big index o = i·s + off.
// Writing o = j·s + r (phase r = off mod s, e = (off − r) / s) gives i = j − e: within one phase
// a tap is a plain shift. So
// - forward: each phase (rd, rh, rw) of y is a GEMM, C[co, (jd, jh, jw)] = Σ_{ci, taps of the
//   phase} W[ci, co, tap] · x[ci, j − e], whose B rows are shifted views of x copied once into a
//   zero-padded grid (`xpad`): B(k, n) = xpad[tab[k] + n]. The phases' C blocks are interleaved
//   into y, bias added, each y element written once;
// - conv3d and the weight gradient: y's phases are split once into a zero-padded grid (`bigS`,
//   space-to-depth), where tap (co, kd, kh, kw) reads the small position i at bigS[tab[..] + i].
//   conv3d is then C[ci, i] = Σ_{co, tap} W[ci, co, tap] · B(tap, i), the weight gradient
//   dW[ci, (co, tap)] = Σ_i x[ci, i] · B(i, (co, tap)).
// Grids are flattened with the padded row length Wq as the row pitch, so B's columns include
// Wq − W (or Wq − nJw) junk columns per row: computed, never stored (the weight gradient zeroes
// them in x instead).

/**
 * Rows of `gemmRows`' tall A panels: 5 in the relaxed-SIMD build (a 5×8 micro-kernel, 10
 * accumulators: with FMA's latency 4 and two per cycle, 8 leave no slack), 4 (none) otherwise.
 * V8 schedules a loop body's loads before its arithmetic, so every loaded value is live at once:
 * 10 accumulators + 2 B vectors + 1 A vector (its lanes splatted by shuffles, scheduled at their
 * uses) + the 5th row's splat = 14 of x64's 15 allocatable xmm registers. Six rows (12
 * accumulators) or five splat loads spill accumulators; in the plain build shuffles compete with
 * the adds for their port.
 */
const TALL: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;

/** How many TALL-row panels M rows of A get (then 4-row ones): the fewest padded rows. */
@inline function tallPanels(M: i32): i32 {
  if (TALL == 4) return 0;
  let best = 0, bestP = (M + 3) & ~3;
  for (let n = 1; n * TALL < M + TALL; n++) {
    const P = TALL * n + ((max(0, M - TALL * n) + 3) & ~3);
    if (P <= bestP) {
      best = n;
      bestP = P;
    }
  }
  return best;
}

/** Rows of A's panels for M rows (M rounded up as `tallPanels` splits it). */
@inline function panelRows(M: i32): i32 {
  const n = tallPanels(M);
  return TALL * n + ((max(0, M - TALL * n) + 3) & ~3);
}

/**
 * Packs the M × K row-major matrix A (leading dimension lda) into `tallPanels(M)` panels of TALL
 * rows and then 4-row panels (panelRows(M) rows in all): dst[r·K + k·h + i] = A[(r + i)·lda + k]
 * for the panel at row r of height h, rows past M zero.
 */
function packPanels(A: usize, lda: i32, M: i32, K: i32, dst: usize): void {
  const nt = tallPanels(M);
  for (let r = 0, ip = 0; r < M; ip++) {
    const h = ip < nt ? TALL : 4, hs = <usize>h << 2;
    for (let i = 0; i < h; i++) {
      const m = r + i;
      let q = dst + (<usize>(r * K + i) << 2);
      if (m < M) {
        let src = at(A, m * lda);
        for (let k = 0; k < K; k++, q += hs, src += 4) store<f32>(q, load<f32>(src));
      } else {
        for (let k = 0; k < K; k++, q += hs) store<f32>(q, 0);
      }
    }
    r += h;
  }
}

/** Bytes of A panels `gemmRows` keeps in L1 per K block. */
const ROWS_A_BYTES = 16384;
/**
 * Above this many rows of A the packed `gemm` (B_ROWS) does better than `gemmRows`, whose C is
 * re-read for every K block (measured A/B, one thread, on the forward and conv3d of S1–S7 and 20–64
 * channel shapes: up to 32 rows `gemmRows` wins in both builds, S3's forward 5% (plain) and 11%
 * (relaxed); at 64 rows it still wins with FMA, 4–14%, but loses up to 4% in the plain build,
 * whose multiply + add kernel leaves less time for the extra C traffic).
 */
const ROWS_MAX_M: i32 = ASC_FEATURE_RELAXED_SIMD ? 64 : 32;

/** `gemmRows` on 4-row panels only, 4×8 tiles (8 accumulators). */
function gemmRows4(M: i32, N: i32, K: i32, pA: usize, B: usize, tab: usize, C: usize, ldc: i32,
                  nTab: usize = 0): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (let m = 0; m < M; m++) memory.fill(at(C, m * ldc), 0, <usize>N << 2);
    return;
  }
  const mPanels = (M + 3) >> 2;
  // K blocks whose A panels (mPanels · kb · 16 bytes) stay in L1 while the tiles pass.
  const kb = max(64, min(K, ROWS_A_BYTES / (mPanels << 4)));
  for (let k0 = 0; k0 < K; k0 += kb) {
    const add = k0 > 0;
    const tBeg = tab + (<usize>k0 << 2), tEnd = tab + (<usize>min(K, k0 + kb) << 2);
    for (let nb = 0; nb < N; nb += 8) {
      const nn = min(8, N - nb);
      const Bn = B + (<usize>(nTab == 0 ? nb : load<i32>(nTab + (<usize>(nb >> 3) << 2))) << 2);
      for (let ip = 0; ip < mPanels; ip++) {
        let pa = pA + (<usize>(ip * K + k0) << 4);
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0);
        let c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        for (let t = tBeg; t < tEnd; t += 4, pa += 16) {
          const pb = Bn + (<usize>load<i32>(t) << 2);
          const b0 = v128.load(pb), b1 = v128.load(pb, 16);
          const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
          c00 = madd(a0, b0, c00);
          c01 = madd(a0, b1, c01);
          c10 = madd(a1, b0, c10);
          c11 = madd(a1, b1, c11);
          const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
          c20 = madd(a2, b0, c20);
          c21 = madd(a2, b1, c21);
          c30 = madd(a3, b0, c30);
          c31 = madd(a3, b1, c31);
        }
        storeTile(C, ldc, ip << 2, nb, M, nn, add, c00, c01, c10, c11, c20, c21, c30, c31);
      }
    }
  }
}

/** `gemmRows` with `tallPanels(M)` > 0 (relaxed-SIMD build): 5×8 tiles, then 4×8 ones. */
function gemmRowsTall(M: i32, N: i32, K: i32, pA: usize, B: usize, tab: usize, C: usize, ldc: i32,
                      nTab: usize): void {
  const nt = tallPanels(M);
  // K blocks whose A panels (panelRows(M) · kb · 4 bytes) stay in L1 while the tiles pass.
  const kb = max(64, min(K, ROWS_A_BYTES / (panelRows(M) << 2)));
  for (let k0 = 0; k0 < K; k0 += kb) {
    const add = k0 > 0;
    const tBeg = tab + (<usize>k0 << 2), tEnd = tab + (<usize>min(K, k0 + kb) << 2);
    for (let nb = 0; nb < N; nb += 8) {
      const nn = min(8, N - nb);
      const Bn = B + (<usize>(nTab == 0 ? nb : load<i32>(nTab + (<usize>(nb >> 3) << 2))) << 2);
      for (let r = 0, ip = 0; r < M; ip++) {
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0);
        let c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        if (ip < nt) {
          let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
          let pa = pA + (<usize>(r * K + k0 * TALL) << 2);
          for (let t = tBeg; t < tEnd; t += 4, pa += TALL << 2) {
            const pb = Bn + (<usize>load<i32>(t) << 2);
            const b0 = v128.load(pb), b1 = v128.load(pb, 16), av = v128.load(pa);
            const a4 = v128.load32_splat(pa, 16);
            c40 = madd(a4, b0, c40);
            c41 = madd(a4, b1, c41);
            const a0 = v128.shuffle<f32>(av, av, 0, 0, 0, 0);
            c00 = madd(a0, b0, c00);
            c01 = madd(a0, b1, c01);
            const a1 = v128.shuffle<f32>(av, av, 1, 1, 1, 1);
            c10 = madd(a1, b0, c10);
            c11 = madd(a1, b1, c11);
            const a2 = v128.shuffle<f32>(av, av, 2, 2, 2, 2);
            c20 = madd(a2, b0, c20);
            c21 = madd(a2, b1, c21);
            const a3 = v128.shuffle<f32>(av, av, 3, 3, 3, 3);
            c30 = madd(a3, b0, c30);
            c31 = madd(a3, b1, c31);
          }
          storeTile(C, ldc, r, nb, M, nn, add, c00, c01, c10, c11, c20, c21, c30, c31);
          storeRow(C, ldc, r + 4, nb, M, nn, add, c40, c41);
          r += TALL;
        } else {
          let pa = pA + (<usize>(r * K + k0 * 4) << 2);
          for (let t = tBeg; t < tEnd; t += 4, pa += 16) {
            const pb = Bn + (<usize>load<i32>(t) << 2);
            const b0 = v128.load(pb), b1 = v128.load(pb, 16);
            const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
            c00 = madd(a0, b0, c00);
            c01 = madd(a0, b1, c01);
            c10 = madd(a1, b0, c10);
            c11 = madd(a1, b1, c11);
            const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
            c20 = madd(a2, b0, c20);
            c21 = madd(a2, b1, c21);
            c30 = madd(a3, b0, c30);
            c31 = madd(a3, b1, c31);
          }
          storeTile(C, ldc, r, nb, M, nn, add, c00, c01, c10, c11, c20, c21, c30, c31);
          r += 4;
        }
      }
    }
  }
}

/**
 * C[m, n] = Σ_k A(m, k) · B[tab[k] + n] (C row-major, leading dimension ldc) with A packed by
 * `packPanels` and B read in place: each 8-column tile's K rows (two vectors each) stay in L1
 * while every A panel passes over them; with `nTab` the 8-column tile t starts at B + nTab[t].
 * Reads up to 7 columns past N (junk, never stored; the caller leaves slack after B).
 * Without tall panels (the plain build, or M as 4-row panels only) `gemmRows4`, else
 * `gemmRowsTall`: separate functions, so that V8 allocates each loop's registers on its own.
 */
function gemmRows(M: i32, N: i32, K: i32, pA: usize, B: usize, tab: usize, C: usize, ldc: i32,
                  nTab: usize = 0): void {
  if (M <= 0 || N <= 0 || K <= 0 || tallPanels(M) == 0) gemmRows4(M, N, K, pA, B, tab, C, ldc, nTab);
  else gemmRowsTall(M, N, K, pA, B, tab, C, ldc, nTab);
}

/** Floats of C that `gemv1` keeps in L1 while its taps pass over them. */
const GEMV_BLOCK = 2048;

/**
 * C[n] = Σ_k a[k] · B[tab[k] + n] for n < N: the one-row case of `gemmRows` (one output channel
 * per group, e.g. depthwise), as axpys over blocks of C in L1, two taps per pass.
 */
function gemv1(N: i32, K: i32, a: usize, B: usize, tab: usize, C: usize): void {
  if (N <= 0) return;
  if (K <= 0) {
    memory.fill(C, 0, <usize>N << 2);
    return;
  }
  for (let n0 = 0; n0 < N; n0 += GEMV_BLOCK) {
    const nb = min(GEMV_BLOCK, N - n0), nv = nb & ~3;
    const c0 = at(C, n0), cEnd = c0 + (<usize>nv << 2), tEnd = c0 + (<usize>nb << 2);
    let k = 0;
    if (K & 1) {
      const av = load<f32>(a), ax = f32x4.splat(av);
      let src = at(B, load<i32>(tab) + n0), q = c0;
      for (; q < cEnd; q += 16, src += 16) v128.store(q, f32x4.mul(ax, v128.load(src)));
      for (; q < tEnd; q += 4, src += 4) store<f32>(q, av * load<f32>(src));
      k = 1;
    } else {
      const a0 = load<f32>(a), a1 = load<f32>(a, 4), x0 = f32x4.splat(a0), x1 = f32x4.splat(a1);
      let s0 = at(B, load<i32>(tab) + n0), s1 = at(B, load<i32>(tab, 4) + n0), q = c0;
      for (; q < cEnd; q += 16, s0 += 16, s1 += 16) {
        v128.store(q, madd(x1, v128.load(s1), f32x4.mul(x0, v128.load(s0))));
      }
      for (; q < tEnd; q += 4, s0 += 4, s1 += 4) store<f32>(q, a0 * load<f32>(s0) + a1 * load<f32>(s1));
      k = 2;
    }
    for (; k < K; k += 2) {
      const pa = at(a, k), pt = at(tab, k);
      const a0 = load<f32>(pa), a1 = load<f32>(pa, 4), x0 = f32x4.splat(a0), x1 = f32x4.splat(a1);
      let s0 = at(B, load<i32>(pt) + n0), s1 = at(B, load<i32>(pt, 4) + n0), q = c0;
      for (; q < cEnd; q += 16, s0 += 16, s1 += 16) {
        v128.store(q, f32x4.add(v128.load(q),
                                madd(x1, v128.load(s1), f32x4.mul(x0, v128.load(s0)))));
      }
      for (; q < tEnd; q += 4, s0 += 4, s1 += 4) {
        store<f32>(q, load<f32>(q) + a0 * load<f32>(s0) + a1 * load<f32>(s1));
      }
    }
  }
}

/**
 * out[j] += Σ_k x[k] · B[tab[j] + k] for j < N: the one-row weight gradient (one input channel
 * per group). With `kTab`, k runs in runs of 4 at B offsets kTab[k / 4] (K a multiple of 4).
 */
function dotCols(N: i32, K: i32, x: usize, B: usize, tab: usize, out: usize, kTab: usize): void {
  const kv = K & ~7;
  for (let j = 0; j < N; j++) {
    const src = at(B, load<i32>(at(tab, j)));
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    let s: f32 = 0;
    if (kTab != 0) {
      let px = x, pk = kTab;
      const end = x + (<usize>K << 2);
      for (; px + 32 <= end; px += 32, pk += 8) {
        a0 = madd(v128.load(px), v128.load(src + (<usize>load<i32>(pk) << 2)), a0);
        a1 = madd(v128.load(px, 16), v128.load(src + (<usize>load<i32>(pk, 4) << 2)), a1);
      }
      if (px < end) a0 = madd(v128.load(px), v128.load(src + (<usize>load<i32>(pk) << 2)), a0);
    } else {
      let k = 0;
      for (; k < kv; k += 8) {
        const o = <usize>k << 2;
        a0 = madd(v128.load(x + o), v128.load(src + o), a0);
        a1 = madd(v128.load(x + o, 16), v128.load(src + o, 16), a1);
      }
      for (; k < K; k++) s += load<f32>(at(x, k)) * load<f32>(at(src, k));
    }
    const v = f32x4.add(a0, a1), po = at(out, j);
    store<f32>(po, load<f32>(po) + s + f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) +
                   f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
}

/** Per-axis phase record (i32 fields) written by `axisSetup`. */
const AX_NJ = 0, AX_LO = 1, AX_Q = 2, AX_TAPS = 3, AX_START = 4, AX_E = 5, AX_R = 6;
const AX_BYTES = 32;

@inline function ax(axes: usize, a: i32, field: i32): i32 {
  return load<i32>(axes + <usize>(a * AX_BYTES) + (<usize>field << 2));
}

/**
 * Fills the phase record of one axis at `rec` and its arrays at `arr` (returns the next free
 * byte): taps sorted by phase (start[r] .. start[r + 1]), e and r per tap, nJ = ⌈big / s⌉ grid
 * positions per phase, and the padded grid [lo, lo + Q): for the forward (`small` side read at
 * j − e) it covers i ∈ [−eMax, nJ − eMin) ∪ [0, small); for the backward (big side read at
 * i + e) j ∈ [eMin, small + eMax) ∪ [0, nJ).
 */
function axisSetup(rec: usize, arr: usize, small: i32, big: i32, s: i32, pad: i32, dil: i32,
                   k: i32, forward: bool): usize {
  const taps = arr, start = taps + (<usize>k << 2), e = start + (<usize>(s + 1) << 2);
  const r = e + (<usize>k << 2);
  let eMin = i32.MAX_VALUE, eMax = i32.MIN_VALUE;
  for (let t = 0; t < k; t++) {
    const off = t * dil - pad;
    const rr = ((off % s) + s) % s;
    const ee = (off - rr) / s;
    store<i32>(e + (<usize>t << 2), ee);
    store<i32>(r + (<usize>t << 2), rr);
    eMin = min(eMin, ee);
    eMax = max(eMax, ee);
  }
  let n = 0;
  for (let ph = 0; ph < s; ph++) {
    store<i32>(start + (<usize>ph << 2), n);
    for (let t = 0; t < k; t++) {
      if (load<i32>(r + (<usize>t << 2)) == ph) store<i32>(taps + (<usize>(n++) << 2), t);
    }
  }
  store<i32>(start + (<usize>s << 2), n);
  const nJ = (big + s - 1) / s;
  const lo = forward ? min(0, -eMax) : min(0, eMin);
  const hi = forward ? max(small, nJ - eMin) : max(nJ, small + eMax);
  store<i32>(rec + (<usize>AX_NJ << 2), nJ);
  store<i32>(rec + (<usize>AX_LO << 2), lo);
  store<i32>(rec + (<usize>AX_Q << 2), hi - lo);
  store<i32>(rec + (<usize>AX_TAPS << 2), <i32>taps);
  store<i32>(rec + (<usize>AX_START << 2), <i32>start);
  store<i32>(rec + (<usize>AX_E << 2), <i32>e);
  store<i32>(rec + (<usize>AX_R << 2), <i32>r);
  return (r + (<usize>k << 2) + 15) & ~15;
}

/** Writes the three axis records at `axes` (arrays after them); returns the next free byte. */
function axesSetup(par: usize, axes: usize, forward: bool): usize {
  let q = axes + 3 * AX_BYTES;
  for (let a = 0; a < 3; a++) {
    q = axisSetup(axes + <usize>(a * AX_BYTES), q, p(par, P_D + a), p(par, P_OD + a),
                  p(par, P_SD + a), p(par, P_PD + a), p(par, P_DD + a), p(par, P_KD + a), forward);
  }
  return q;
}

@inline function tapAt(axes: usize, a: i32, i: i32): i32 {
  return load<i32>(<usize>ax(axes, a, AX_TAPS) + (<usize>i << 2));
}
@inline function phaseStart(axes: usize, a: i32, r: i32): i32 {
  return load<i32>(<usize>ax(axes, a, AX_START) + (<usize>r << 2));
}
@inline function tapE(axes: usize, a: i32, t: i32): i32 {
  return load<i32>(<usize>ax(axes, a, AX_E) + (<usize>t << 2));
}
@inline function tapR(axes: usize, a: i32, t: i32): i32 {
  return load<i32>(<usize>ax(axes, a, AX_R) + (<usize>t << 2));
}

/**
 * Whether the axis tables fit the scratch, where the work-size probes write them (a stride of
 * thousands along an axis of one element is valid and small, but its phase table is not).
 */
export function axesFit(par: usize): bool {
  return axesBytes(par) <= SCRATCH_BYTES;
}

/** Upper bound of the axis tables' bytes (records and arrays). */
function axesBytes(par: usize): i32 {
  let n = 3 * AX_BYTES;
  for (let a = 0; a < 3; a++) n += ((3 * p(par, P_KD + a) + p(par, P_SD + a) + 1) << 2) + 16;
  return n;
}

/** Budget (floats) of the C blocks, and rows of the grid per GEMM call. */
const CBLOCK = 1 << 15;
@inline function rowsPerBlock(rows: i32, pitch: i32, channels: i32): i32 {
  return max(1, min(rows, min(CBLOCK / max(1, channels), 2048) / max(1, pitch)));
}

@inline function slack(pitch: i32): i32 {
  return 2 * pitch + 32;
}
@inline function align4(n: f64): f64 {
  return Math.ceil(n / 4) * 4;
}

/** Floats of work memory `forwardImplicit` needs (−1: more than a 32-bit memory holds). */
export function forwardWork(par: usize, axes: usize): f64 {
  axesSetup(par, axes, true);
  const Cig = <f64>p(par, P_CIG), Cog = <f64>p(par, P_COG), sw = p(par, P_SW);
  const kvol = <f64>(p(par, P_KD) * p(par, P_KH) * p(par, P_KW));
  const Wq = ax(axes, 2, AX_Q);
  const volQ = <f64>ax(axes, 0, AX_Q) * <f64>ax(axes, 1, AX_Q) * <f64>Wq;
  const R = rowsPerBlock(ax(axes, 1, AX_NJ), Wq, <i32>Cog * sw);
  const G = <f64>p(par, P_G);
  return align4(axesBytes(par) / 4) + align4(Cig * kvol) +
         align4(G * <f64>panelRows(<i32>Cog) * Cig * kvol) + align4(G * Cog * Cig * kvol) +
         align4(Cig * volQ + slack(Wq)) + align4(<f64>sw * Cog * R * Wq) +
         align4(<f64>R * (ax(axes, 2, AX_NJ) / 8 + 1));
}

/** y = convTranspose3d(x, w) + bias on the implicit path; `work` holds forwardWork floats. */
export function forwardImplicit(par: usize, x: usize, w: usize, bias: usize, y: usize,
                                work: usize, scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), H = p(par, P_H), W = p(par, P_W);
  const oD = p(par, P_OD), oH = p(par, P_OH), oW = p(par, P_OW);
  const kH = p(par, P_KH), kW = p(par, P_KW);
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT);
  const kvol = p(par, P_KD) * kH * kW;
  const L = D * H * W, oL = oD * oH * oW;
  const axes = work;
  let q = (axes + <usize>axesBytes(par) + 15) & ~15;
  axesSetup(par, axes, true);
  const nJd = ax(axes, 0, AX_NJ), nJh = ax(axes, 1, AX_NJ);
  const loD = ax(axes, 0, AX_LO), loH = ax(axes, 1, AX_LO), loW = ax(axes, 2, AX_LO);
  const Hq = ax(axes, 1, AX_Q), Wq = ax(axes, 2, AX_Q);
  const HW = Hq * Wq, volQ = ax(axes, 0, AX_Q) * HW;
  const tab = q;
  q += <usize>align4(Cig * kvol) << 2;
  // Per group g: each phase's A = W[ci, co, taps of the phase] as a Cog × (Cig·T) row-major
  // matrix (wph), and the same packed into 4-row panels (wpan).
  const Cog4 = panelRows(Cog), wphG = Cog * Cig * kvol, wpanG = Cog4 * Cig * kvol;
  const wph = q;
  q += <usize>align4(G * wphG) << 2;
  const wpan = q;
  q += <usize>align4(G * wpanG) << 2;
  const xpad = q;
  const xpadFloats = Cig * volQ + slack(Wq);
  q += <usize>align4(xpadFloats) << 2;
  // Without margins (the grid is x itself) only the slack needs zeros.
  const xFilled = loD == 0 && loH == 0 && loW == 0 && ax(axes, 0, AX_Q) == D && Hq == H && Wq == W ?
      Cig * volQ : 0;
  const R = rowsPerBlock(nJh, Wq, Cog * sw);
  const cbuf = q, cPhase = Cog * R * Wq;
  q += <usize>align4(sw * cPhase) << 2;
  // Rows of whole 8-column tiles: the GEMM skips the grid's junk columns (tile offsets in nTab)
  // and C rows have pitch nJw.
  const nJw = ax(axes, 2, AX_NJ), runs = (nJw & 7) == 0 && Cog > 1, pitch = runs ? nJw : Wq;
  const nTab = q;
  if (runs) {
    for (let r = 0, t = 0; r < R; r++) {
      for (let c = 0; c < nJw; c += 8) store<i32>(nTab + (<usize>(t++) << 2), r * Wq + c);
    }
  }
  // Row offsets of every phase's B and the phases' A matrices of every group (phases in
  // (rd, rh, rw) order, taps in phase order).
  let base = 0;
  for (let rd = 0; rd < sd; rd++) {
    for (let rh = 0; rh < sh; rh++) {
      for (let rw = 0; rw < sw; rw++) {
        const d0 = phaseStart(axes, 0, rd), d1 = phaseStart(axes, 0, rd + 1);
        const h0 = phaseStart(axes, 1, rh), h1 = phaseStart(axes, 1, rh + 1);
        const w0 = phaseStart(axes, 2, rw), w1 = phaseStart(axes, 2, rw + 1);
        const T = (d1 - d0) * (h1 - h0) * (w1 - w0), K = Cig * T;
        let t = 0;
        for (let a = d0; a < d1; a++) {
          const kd = tapAt(axes, 0, a);
          for (let b = h0; b < h1; b++) {
            const kh = tapAt(axes, 1, b);
            for (let c = w0; c < w1; c++, t++) {
              const kw = tapAt(axes, 2, c), tap = (kd * kH + kh) * kW + kw;
              const shift = (-tapE(axes, 0, kd) - loD) * HW + (-tapE(axes, 1, kh) - loH) * Wq -
                            tapE(axes, 2, kw) - loW;
              for (let ci = 0; ci < Cig; ci++) store<i32>(tab + (<usize>(base + ci * T + t) << 2), ci * volQ + shift);
              for (let g = 0; g < G; g++) {
                for (let co = 0; co < Cog; co++) {
                  for (let ci = 0; ci < Cig; ci++) {
                    store<f32>(at(wph, g * wphG + Cog * base + co * K + ci * T + t),
                               load<f32>(at(w, ((g * Cig + ci) * Cog + co) * kvol + tap)));
                  }
                }
              }
            }
          }
        }
        for (let g = 0; g < G; g++) {
          packPanels(at(wph, g * wphG + Cog * base), K, Cog, K, at(wpan, g * wpanG + Cog4 * base));
        }
        base += K;
      }
    }
  }
  for (let g = 0; g < G; g++) {
    for (let n = 0; n < N; n++) {
      memory.fill(at(xpad, xFilled), 0, <usize>(xpadFloats - xFilled) << 2);
      for (let ci = 0; ci < Cig; ci++) {
        const src = (n * Cin + g * Cig + ci) * L;
        for (let id = 0; id < D; id++) {
          for (let ih = 0; ih < H; ih++) {
            memory.copy(at(xpad, ci * volQ + (id - loD) * HW + (ih - loH) * Wq - loW),
                        at(x, src + (id * H + ih) * W), <usize>W << 2);
          }
        }
      }
      const yOff = (n * Cout + g * Cog) * oL;
      base = 0;
      for (let rd = 0; rd < sd; rd++) {
        const Td = phaseStart(axes, 0, rd + 1) - phaseStart(axes, 0, rd);
        for (let rh = 0; rh < sh; rh++) {
          const Th = phaseStart(axes, 1, rh + 1) - phaseStart(axes, 1, rh);
          const phBase = base;
          for (let rw = 0; rw < sw; rw++) {
            base += Cig * Td * Th * (phaseStart(axes, 2, rw + 1) - phaseStart(axes, 2, rw));
          }
          if (rh >= oH) continue;
          for (let jd = 0; jd < nJd; jd++) {
            const od = jd * sd + rd;
            if (od >= oD) break;
            for (let jh0 = 0; jh0 < nJh; jh0 += R) {
              const rows = min(R, nJh - jh0), Nn = rows * pitch;
              let kb = phBase;
              for (let rw = 0; rw < sw; rw++) {
                const K = Cig * Td * Th * (phaseStart(axes, 2, rw + 1) - phaseStart(axes, 2, rw));
                if (rw < oW) {
                  if (Cog == 1) {
                    gemv1(Nn, K, at(wph, g * wphG + kb), at(xpad, jd * HW + jh0 * Wq), tab + (<usize>kb << 2),
                          at(cbuf, rw * cPhase));
                  } else if (Cog > ROWS_MAX_M) {
                    gemm(Cog, Nn, K, at(wph, g * wphG + Cog * kb), K, 1, at(xpad, jd * HW + jh0 * Wq), 0, 0,
                         at(cbuf, rw * cPhase), Nn, false, B_ROWS, tab + (<usize>kb << 2),
                         runs ? nTab : 0);
                  } else {
                    gemmRows(Cog, Nn, K, at(wpan, g * wpanG + Cog4 * kb),
                             at(xpad, jd * HW + jh0 * Wq), tab + (<usize>kb << 2),
                             at(cbuf, rw * cPhase), Nn, runs ? nTab : 0);
                  }
                }
                kb += K;
              }
              phaseStore(y, yOff, oL, bias == 0 ? 0 : at(bias, g * Cog), cbuf, cPhase, Cog, Nn,
                         pitch, od, jh0, rows, rh, sh, sw, oH, oW);
            }
          }
        }
      }
    }
  }
}

/**
 * Interleaves the sw phase blocks of C (C_rw[co][r·pitch + jw] at cbuf + rw·cPhase, leading
 * dimension Nn) into the y rows (od, (jh0 + r)·sh + rh) at ow = jw·sw + rw, adding the bias.
 * y's channel co starts at element yOff + co·oL.
 */
function phaseStore(y: usize, yOff: i32, oL: i32, bias: usize, cbuf: usize, cPhase: i32,
                    Cog: i32, Nn: i32, pitch: i32, od: i32, jh0: i32, rows: i32, rh: i32, sh: i32,
                    sw: i32, oH: i32, oW: i32): void {
  for (let co = 0; co < Cog; co++) {
    const bv = bias == 0 ? <f32>0 : load<f32>(at(bias, co));
    const bx = f32x4.splat(bv);
    for (let r = 0; r < rows; r++) {
      const oh = (jh0 + r) * sh + rh;
      if (oh >= oH) break;
      const orow = at(y, yOff + co * oL + (od * oH + oh) * oW);
      const c0 = at(cbuf, co * Nn + r * pitch);
      let o = 0;
      if (sw == 1) {
        for (; o + 4 <= oW; o += 4) {
          const off = <usize>o << 2;
          v128.store(orow + off, f32x4.add(v128.load(c0 + off), bx));
        }
        for (; o < oW; o++) store<f32>(orow + (<usize>o << 2), load<f32>(c0 + (<usize>o << 2)) + bv);
      } else if (sw == 2) {
        const c1 = c0 + (<usize>cPhase << 2);
        for (; o + 8 <= oW; o += 8) {
          const jb = <usize>o << 1, v0 = v128.load(c0 + jb), v1 = v128.load(c1 + jb);
          const po = orow + (<usize>o << 2);
          v128.store(po, f32x4.add(v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), bx));
          v128.store(po, f32x4.add(v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), bx), 16);
        }
        for (; o < oW; o++) {
          store<f32>(orow + (<usize>o << 2),
                     load<f32>((o & 1 ? c1 : c0) + (<usize>(o >> 1) << 2)) + bv);
        }
      } else {
        for (let rw = 0; rw < sw && rw < oW; rw++) {
          const c = c0 + (<usize>(rw * cPhase) << 2);
          for (let jw = 0, ow = rw; ow < oW; jw++, ow += sw) {
            store<f32>(orow + (<usize>ow << 2), load<f32>(c + (<usize>jw << 2)) + bv);
          }
        }
      }
    }
  }
}

/** Slack (floats) after the backward's bigS: the weight gradient's K runs over whole padded planes. */
@inline function backSlack(Hq: i32, Wq: i32): i32 {
  return Hq * Wq + 2 * Wq + 32;
}

/**
 * Whether the weight gradient's K can run over the real small positions in runs of 4 (W a
 * multiple of 4): B's packing then reads each run at its grid offset (`kTab`), and x is used in
 * place, so no junk positions are computed.
 */
@inline function rowRuns(par: usize): bool {
  return (p(par, P_W) & 3) == 0;
}

/**
 * Whether the implicit weight gradient is expected to beat the cols path: without `rowRuns` its
 * GEMM also runs over the grid's junk rows and columns (K = D·Hq·Wq instead of D·H·W), while the cols path
 * writes and reads Cog·kvol·D·H·W floats of cols, each costing about 8 multiply-adds (fitted to
 * S1–S7, where the rule picks the faster path on every shape).
 */
export function weightGradImplicitWins(par: usize, axes: usize): bool {
  axesSetup(par, axes, false);
  const Cig = <f64>p(par, P_CIG);
  if (rowRuns(par)) return true;  // no junk: K runs over the real positions only
  const junk = <f64>ax(axes, 1, AX_Q) * <f64>ax(axes, 2, AX_Q) / (<f64>p(par, P_H) * <f64>p(par, P_W));
  return Cig * junk <= Cig + 8;  // per Cog·kvol·D·H·W: Cig·junk MACs against Cig MACs + 8 for cols
}

/** Floats of work memory `conv3dImplicit` and `weightGradImplicit` need. */
export function backWork(par: usize, axes: usize): f64 {
  axesSetup(par, axes, false);
  const Cig = p(par, P_CIG), Cog = <f64>p(par, P_COG);
  const D = <f64>p(par, P_D), H = p(par, P_H);
  const kvol = <f64>(p(par, P_KD) * p(par, P_KH) * p(par, P_KW));
  const nPh = <f64>(p(par, P_SD) * p(par, P_SH) * p(par, P_SW));
  const Hq = ax(axes, 1, AX_Q), Wq = ax(axes, 2, AX_Q);
  const HW = <f64>Hq * <f64>Wq, volQ = <f64>ax(axes, 0, AX_Q) * HW;
  const R = rowsPerBlock(H, Wq, Cig);
  return align4(<f64>R * (p(par, P_W) / 8 + 1)) + align4(axesBytes(par) / 4) + align4(Cog * kvol) + align4(<f64>panelRows(Cig) * Cog * kvol) +
         align4(Cog * nPh * volQ + backSlack(Hq, Wq)) +
         align4(Math.max(<f64>Cig * R * Wq, <f64>Cig * D * HW)) +
         align4(D * <f64>H * <f64>p(par, P_W) / 4);
}

/**
 * Splits the big tensor's Cog channels (from element bigOff) into their stride phases, zero
 * padded: bigS[(co·nPh + (rd·sh + rh)·sw + rw)·volQ + (jd − loD)·HW + (jh − loH)·Wq + jw − loW]
 * = big[co, jd·sd + rd, jh·sh + rh, jw·sw + rw].
 */
function splitPhases(par: usize, axes: usize, big: usize, bigOff: i32, Cog: i32, bigS: usize,
                     total: i32): void {
  const oD = p(par, P_OD), oH = p(par, P_OH), oW = p(par, P_OW);
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const nPh = sd * sh * sw;
  const loD = ax(axes, 0, AX_LO), loH = ax(axes, 1, AX_LO), loW = ax(axes, 2, AX_LO);
  const Wq = ax(axes, 2, AX_Q), HW = ax(axes, 1, AX_Q) * Wq, volQ = ax(axes, 0, AX_Q) * HW;
  // Without margins (every grid cell is some big element) only the slack needs zeros.
  let margins = false;
  for (let a = 0; a < 3; a++) {
    const s = p(par, P_SD + a);
    margins = margins || ax(axes, a, AX_LO) != 0 || ax(axes, a, AX_Q) != ax(axes, a, AX_NJ) ||
                p(par, P_OD + a) % s != 0;
  }
  const filled = margins ? 0 : Cog * nPh * volQ;
  memory.fill(at(bigS, filled), 0, <usize>(total - filled) << 2);
  for (let co = 0; co < Cog; co++) {
    for (let od = 0; od < oD; od++) {
      const jd = od / sd, rd = od - jd * sd;
      for (let oh = 0; oh < oH; oh++) {
        const jh = oh / sh, rh = oh - jh * sh;
        const row = at(big, bigOff + (co * oD + od) * oH * oW + oh * oW);
        const dst = at(bigS, (co * nPh + (rd * sh + rh) * sw) * volQ + (jd - loD) * HW +
                             (jh - loH) * Wq - loW);
        if (sw == 1) {
          memory.copy(dst, row, <usize>oW << 2);
        } else if (sw == 2) {
          const d1 = dst + (<usize>volQ << 2);
          let o = 0;
          for (; o + 8 <= oW; o += 8) {
            const po = row + (<usize>o << 2), v0 = v128.load(po), v1 = v128.load(po, 16);
            const jb = <usize>o << 1;
            v128.store(dst + jb, v128.shuffle<f32>(v0, v1, 0, 2, 4, 6));
            v128.store(d1 + jb, v128.shuffle<f32>(v0, v1, 1, 3, 5, 7));
          }
          for (; o < oW; o++) store<f32>((o & 1 ? d1 : dst) + (<usize>(o >> 1) << 2), load<f32>(row + (<usize>o << 2)));
        } else {
          for (let o = 0; o < oW; o++) {
            const jw = o / sw, rw = o - jw * sw;
            store<f32>(at(dst, rw * volQ + jw), load<f32>(row + (<usize>o << 2)));
          }
        }
      }
    }
  }
}

/**
 * The backward's B offsets: tab[co·kvol + tap] is where tap (co, kd, kh, kw) reads small
 * position 0 in bigS (position (id, ih, iw) adds id·HW + ih·Wq + iw).
 */
function backTable(par: usize, axes: usize, tab: usize): void {
  const Cog = p(par, P_COG), kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const sh = p(par, P_SH), sw = p(par, P_SW), nPh = p(par, P_SD) * sh * sw;
  const loD = ax(axes, 0, AX_LO), loH = ax(axes, 1, AX_LO), loW = ax(axes, 2, AX_LO);
  const Wq = ax(axes, 2, AX_Q), HW = ax(axes, 1, AX_Q) * Wq, volQ = ax(axes, 0, AX_Q) * HW;
  const kvol = kD * kH * kW;
  for (let kd = 0; kd < kD; kd++) {
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const tap = (kd * kH + kh) * kW + kw;
        const ph = (tapR(axes, 0, kd) * sh + tapR(axes, 1, kh)) * sw + tapR(axes, 2, kw);
        const shift = ph * volQ + (tapE(axes, 0, kd) - loD) * HW + (tapE(axes, 1, kh) - loH) * Wq +
                      tapE(axes, 2, kw) - loW;
        for (let co = 0; co < Cog; co++) store<i32>(tab + (<usize>(co * kvol + tap) << 2), co * nPh * volQ + shift);
      }
    }
  }
}

// The backward's work layout, set by `backLayout`:
// [axes | B offsets (Cog·kvol) | A panels | bigS | the rest (C blocks, x grid, run offsets)].
let backTab: usize = 0;
let backPanels: usize = 0;
let backBigS: usize = 0;
let backBigSFloats: i32 = 0;
let backRest: usize = 0;

/** Lays out the backward's work memory at `axes` and fills the axis records and B offsets. */
function backLayout(par: usize, axes: usize): void {
  const Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const K = Cog * p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const nPh = p(par, P_SD) * p(par, P_SH) * p(par, P_SW);
  axesSetup(par, axes, false);
  const Hq = ax(axes, 1, AX_Q), Wq = ax(axes, 2, AX_Q);
  const volQ = ax(axes, 0, AX_Q) * Hq * Wq;
  let q = (axes + <usize>axesBytes(par) + 15) & ~15;
  backTab = q;
  q += <usize>align4(K) << 2;
  backPanels = q;
  q += <usize>align4(panelRows(Cig) * K) << 2;
  backBigS = q;
  backBigSFloats = Cog * nPh * volQ + backSlack(Hq, Wq);
  q += <usize>align4(backBigSFloats) << 2;
  backRest = q;
  backTable(par, axes, backTab);
}

/** y = conv3d(x, w) + bias on the implicit path (x: big side); `work` holds backWork floats. */
export function conv3dImplicit(par: usize, x: usize, w: usize, bias: usize, y: usize,
                               work: usize, scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), H = p(par, P_H), W = p(par, P_W);
  const oL = p(par, P_OD) * p(par, P_OH) * p(par, P_OW), L = D * H * W;
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT);
  const K = Cog * p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const axes = work;
  backLayout(par, axes);
  const Wq = ax(axes, 2, AX_Q), HW = ax(axes, 1, AX_Q) * Wq;
  const tab = backTab, apan = backPanels, bigS = backBigS, bigSFloats = backBigSFloats;
  let q = backRest;
  const cbuf = q;
  const R = rowsPerBlock(H, Wq, Cig);
  q += <usize>align4(Cig * R * Wq) << 2;
  // Rows of whole 8-column tiles: the GEMM skips the grid's junk columns, C rows have pitch W.
  const runs = (W & 7) == 0 && Cig > 1, pitch = runs ? W : Wq;
  const nTab = q;
  if (runs) {
    for (let r = 0, t = 0; r < R; r++) {
      for (let c = 0; c < W; c += 8) store<i32>(nTab + (<usize>(t++) << 2), r * Wq + c);
    }
  }
  for (let g = 0; g < G; g++) {
    packPanels(at(w, g * Cig * K), K, Cig, K, apan);
    for (let n = 0; n < N; n++) {
      splitPhases(par, axes, x, (n * Cout + g * Cog) * oL, Cog, bigS, bigSFloats);
      const yOff = (n * Cin + g * Cig) * L;
      for (let id = 0; id < D; id++) {
        for (let ih0 = 0; ih0 < H; ih0 += R) {
          const rows = min(R, H - ih0), Nn = rows * pitch;
          if (Cig == 1) {
            gemv1(Nn, K, at(w, g * K), at(bigS, id * HW + ih0 * Wq), tab, cbuf);
          } else if (Cig > ROWS_MAX_M) {
            gemm(Cig, Nn, K, at(w, g * Cig * K), K, 1, at(bigS, id * HW + ih0 * Wq), 0, 0, cbuf, Nn,
                 false, B_ROWS, tab, runs ? nTab : 0);
          } else {
            gemmRows(Cig, Nn, K, apan, at(bigS, id * HW + ih0 * Wq), tab, cbuf, Nn, runs ? nTab : 0);
          }
          for (let ci = 0; ci < Cig; ci++) {
            const bv = bias == 0 ? <f32>0 : load<f32>(at(bias, g * Cig + ci));
            const bx = f32x4.splat(bv);
            for (let r = 0; r < rows; r++) {
              const src = at(cbuf, ci * Nn + r * pitch), dst = at(y, yOff + ci * L + (id * H + ih0 + r) * W);
              let i = 0;
              for (; i + 4 <= W; i += 4) {
                const o = <usize>i << 2;
                v128.store(dst + o, f32x4.add(v128.load(src + o), bx));
              }
              for (; i < W; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)) + bv);
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Direct conv3d, SIMD over the small side's channels (conv3d's output channels): no cols, no
// phases, no junk columns. The big side of one (batch, group) is copied once into a zero-padded
// grid (`G` per axis: (small − 1)·s + (k − 1)·d + 1, the big tensor at offset p), where small
// position l = (id, ih, iw) and tap (co, kd, kh, kw) read
//   grid[pos[l] + tap[k]],  pos[l] = id·sd·GhGw + ih·sh·Gw + iw·sw,
//   tap[k] = co·volG + kd·dd·GhGw + kh·dh·Gw + kw·dw   (k = co·kvol + (kd·kH + kh)·kW + kw),
// so any stride, dilation and padding is one offset table per side. The weight of each block of
// 8 small channels is packed as [k][8] (lanes past Cig zero), and a 4 positions × 8 channels
// micro-kernel (8 accumulators, started at the bias) splats one grid value per position and tap
// against two weight vectors; the tile is transposed into y's channel rows. Blocks of 4 channels
// (Cig ≤ 4) use 8 positions × 4 channels instead. Positions run over the flattened small volume,
// so rows of any width fill whole tiles; taps that read only padding along D and H are skipped
// (tileRuns).

/** ⌈x / d⌉ for d > 0 and any sign of x. */
@inline function ceilDiv(x: i32, d: i32): i32 {
  return x > 0 ? (x + d - 1) / d : -((-x) / d);
}

/**
 * tab[2·i .. 2·i + 1] = [a, b): the taps k of small index i whose grid index i·s + k·d lies in
 * [lo, hi), clipped to [0, k) (both ends non-increasing in i; empty when b ≤ a).
 */
function tapRange(tab: usize, n: i32, s: i32, d: i32, k: i32, lo: i32, hi: i32): void {
  for (let i = 0; i < n; i++) {
    const q = tab + (<usize>i << 3);
    store<i32>(q, min(k, max(0, ceilDiv(lo - i * s, d))));
    store<i32>(q, min(k, max(0, ceilDiv(hi - i * s, d))), 4);
  }
}

/** Grid extent along one axis (the big elements conv3d reads, and padding). */
@inline function gridAxis(small: i32, s: i32, k: i32, d: i32): f64 {
  return <f64>(small - 1) * <f64>s + <f64>(k - 1) * <f64>d + 1;
}

/** Whether the grid is the big tensor itself (no padding, every element read, nothing past). */
function gridIsBig(par: usize): bool {
  for (let a = 0; a < 3; a++) {
    if (p(par, P_PD + a) != 0) return false;
    if (gridAxis(p(par, P_D + a), p(par, P_SD + a), p(par, P_KD + a), p(par, P_DD + a)) !=
        <f64>p(par, P_OD + a)) {
      return false;
    }
  }
  return true;
}

/** Floats of work memory `conv3dDirect` needs (−1: more than a 32-bit memory holds). */
export function conv3dDirectWork(par: usize): f64 {
  const Cig = p(par, P_CIG), Cog = <f64>p(par, P_COG);
  const kvol = <f64>(p(par, P_KD) * p(par, P_KH) * p(par, P_KW));
  const L = <f64>p(par, P_D) * <f64>p(par, P_H) * <f64>p(par, P_W);
  const volG = gridAxis(p(par, P_D), p(par, P_SD), p(par, P_KD), p(par, P_DD)) *
               gridAxis(p(par, P_H), p(par, P_SH), p(par, P_KH), p(par, P_DH)) *
               gridAxis(p(par, P_W), p(par, P_SW), p(par, P_KW), p(par, P_DW));
  const K = Cog * kvol;
  // Where the implicit path does better (measured, bench/profile_unet_conv.ts and S1–S7's
  // conv3d): one small channel a group (its one-row GEMV); up to 4 (half the lanes or fewer) at
  // stride 1 with more than one tap; long K (the packed weight block outgrows L1) when rows fill
  // whole 8-column tiles there (W a multiple of 8: no junk columns).
  const strided = p(par, P_SD) > 1 || p(par, P_SH) > 1 || p(par, P_SW) > 1;
  if (Cig == 1 || Cig <= 4 && kvol > 1 && !strided) return -1;
  if (K > 1536 && (p(par, P_W) & 7) == 0) return -1;
  // Byte offsets into the grid are i32.
  if (Cog * volG * 4 >= 2147483647) return -1;
  const blocks = <f64>((Cig + 7) >> 3);
  const D = <f64>p(par, P_D), H = <f64>p(par, P_H);
  return align4(K) + align4(L + 8) + align4(blocks * K * 8) +
         (gridIsBig(par) ? 0 : align4(Cog * volG)) +
         2 * align4(L + 8) + align4(2 * D) + align4(2 * H) + align4(Cog * <f64>p(par, P_KD) + 1);
}

/**
 * Packs the weight of the small channels [c0, c0 + 8) of one group (rows of K floats at `w`, row
 * ci for small channel ci; `rows` of them exist from c0) as dst[k·8 + j] = w[(c0 + j)·K + k],
 * lanes j ≥ rows zero.
 */
function packLanes(w: usize, K: i32, rows: i32, dst: usize): void {
  const z = f32x4.splat(0);
  for (let j0 = 0; j0 < 8; j0 += 4) {
    let k = 0;
    if (j0 + 4 <= rows) {
      const r0 = at(w, j0 * K), step = <usize>K << 2;
      for (; k + 4 <= K; k += 4) {
        // Rows j0..j0 + 3, taps k..k + 3, transposed into dst rows k..k + 3 (32 bytes apart).
        transpose4(dst + (<usize>(k * 8 + j0) << 2), r0 + (<usize>k << 2), r0 + step + (<usize>k << 2),
                   r0 + 2 * step + (<usize>k << 2), r0 + 3 * step + (<usize>k << 2));
      }
    }
    for (; k < K; k++) {
      const q = dst + (<usize>(k * 8 + j0) << 2);
      v128.store(q, z);
      for (let j = j0; j < j0 + 4 && j < rows; j++) store<f32>(q + (<usize>(j - j0) << 2), load<f32>(at(w, j * K + k)));
    }
  }
}

/**
 * Writes a tile of 4 consecutive small positions (l … l + 3, `np` of them real) × 4 channels
 * (c0 …, `nc` of them real): v_p holds position p's 4 channels; y's channel c row starts at
 * element c·L.
 */
@inline function storeTransposed(y: usize, L: i32, l: i32, np: i32, nc: i32, v0: v128, v1: v128,
                                 v2: v128, v3: v128): void {
  const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  const r0 = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), r1 = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
  const r2 = v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), r3 = v128.shuffle<f32>(t2, t3, 2, 3, 6, 7);
  const step = <usize>L << 2;
  const q = at(y, l);
  if (np == 4) {
    if (nc > 0) v128.store(q, r0);
    if (nc > 1) v128.store(q + step, r1);
    if (nc > 2) v128.store(q + 2 * step, r2);
    if (nc > 3) v128.store(q + 3 * step, r3);
  } else {
    v128.store(tile, r0);
    v128.store(tile, r1, 16);
    v128.store(tile, r2, 32);
    v128.store(tile, r3, 48);
    for (let c = 0; c < nc; c++) {
      for (let i = 0; i < np; i++) {
        store<f32>(q + <usize>c * step + (<usize>i << 2), load<f32>(tile + (<usize>(c * 4 + i) << 2)));
      }
    }
  }
}

// Taps that read only the grid's zeros are skipped: along D and H, the (kd, kh) taps of a small
// row (id, ih) that read big rows inside the input form ranges [a(id), b(id)) and [c(ih), e(ih))
// (both ends non-increasing in id, ih). A tile takes their hull over its positions' rows (along H
// only when they share id, else all kh), and runs over the taps (co, kd ∈ [a, b), kh ∈ [c, e),
// every kw) as runs of consecutive k: one run of K inside the volume.
let runBuf: usize = 0;
let runKey: i64 = -1;
let runCount: i32 = 0;
let runLen: i32 = 0;
/** Per-position rows (id, ih) and per-row tap ranges, set by conv3dDirect. */
let posD: usize = 0;
let posH: usize = 0;
let rangeD: usize = 0;
let rangeH: usize = 0;
let runCog: i32 = 0;
let runKD: i32 = 0;
let runKH: i32 = 0;
let runKW: i32 = 0;

/** Fills runBuf with the run starts (tap indices) of the tile of positions [l, lLast]. */
@inline function tileRuns(l: i32, lLast: i32): void {
  const id1 = load<i32>(posD + (<usize>l << 2)), id2 = load<i32>(posD + (<usize>lLast << 2));
  const a = load<i32>(rangeD + (<usize>id2 << 3)), b = load<i32>(rangeD + (<usize>id1 << 3), 4);
  let c = 0, e = runKH;
  if (id1 == id2) {
    const ih1 = load<i32>(posH + (<usize>l << 2)), ih2 = load<i32>(posH + (<usize>lLast << 2));
    c = load<i32>(rangeH + (<usize>ih2 << 3));
    e = load<i32>(rangeH + (<usize>ih1 << 3), 4);
  }
  const key = (<i64>a << 48) | (<i64>b << 32) | (<i64>c << 16) | <i64>e;
  if (key == runKey) return;
  runKey = key;
  const kHW = runKH * runKW, kvol = runKD * kHW;
  if (b <= a || e <= c) {
    runCount = 0;
    runLen = 0;
  } else if (c == 0 && e == runKH) {
    if (a == 0 && b == runKD) {
      runCount = 1;
      runLen = runCog * kvol;
      store<i32>(runBuf, 0);
    } else {
      runCount = runCog;
      runLen = (b - a) * kHW;
      for (let co = 0; co < runCog; co++) store<i32>(runBuf + (<usize>co << 2), co * kvol + a * kHW);
    }
  } else {
    runCount = runCog * (b - a);
    runLen = (e - c) * runKW;
    let q = runBuf;
    for (let co = 0; co < runCog; co++) {
      for (let kd = a; kd < b; kd++, q += 4) store<i32>(q, co * kvol + (kd * runKH + c) * runKW);
    }
  }
}

/**
 * One block of up to 8 small channels over the positions [l0, l1): y rows (channel c at
 * y + c·L) = bias + Σ_k wpan[k] · grid[pos[l] + tap[k]], over the tile's runs of k.
 */
function directBlock8(L: i32, l0: i32, l1: i32, K: i32, grid: usize, pos: usize, tap: usize,
                      wpan: usize, b0: v128, b1: v128, y: usize, nc: i32): void {
  for (let l = l0; l < l1; l += 4) {
    const pp = pos + (<usize>l << 2);
    const g0 = grid + <usize>load<i32>(pp), g1 = grid + <usize>load<i32>(pp, 4);
    const g2 = grid + <usize>load<i32>(pp, 8), g3 = grid + <usize>load<i32>(pp, 12);
    let c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
    let pw = wpan;
    tileRuns(l, min(l + 3, l1 - 1));
    const rEnd = runBuf + (<usize>runCount << 2), rBytes = <usize>runLen << 2;
    if (l + 4 <= l1 && g3 - g0 == 12) {
      // Four neighbours in one grid row (real positions only grow, by ≥ 4 bytes each): one address
      // per tap, the others at fixed offsets.
      for (let r = runBuf; r < rEnd; r += 4) {
        const k0 = <usize>load<i32>(r);
        pw = wpan + (k0 << 5);
        for (let t = tap + (k0 << 2), te = t + rBytes; t < te; t += 4, pw += 32) {
          const q = g0 + <usize>load<i32>(t);
          const w0 = v128.load(pw), w1 = v128.load(pw, 16);
          const a0 = v128.load32_splat(q), a1 = v128.load32_splat(q, 4);
          c00 = madd(a0, w0, c00);
          c01 = madd(a0, w1, c01);
          c10 = madd(a1, w0, c10);
          c11 = madd(a1, w1, c11);
          const a2 = v128.load32_splat(q, 8), a3 = v128.load32_splat(q, 12);
          c20 = madd(a2, w0, c20);
          c21 = madd(a2, w1, c21);
          c30 = madd(a3, w0, c30);
          c31 = madd(a3, w1, c31);
        }
      }
    } else if (l + 4 <= l1 && g1 - g0 == 8 && g2 - g0 == 16 && g3 - g0 == 24) {
      // The same along a row of stride 2.
      for (let r = runBuf; r < rEnd; r += 4) {
        const k0 = <usize>load<i32>(r);
        pw = wpan + (k0 << 5);
        for (let t = tap + (k0 << 2), te = t + rBytes; t < te; t += 4, pw += 32) {
          const q = g0 + <usize>load<i32>(t);
          const w0 = v128.load(pw), w1 = v128.load(pw, 16);
          const a0 = v128.load32_splat(q), a1 = v128.load32_splat(q, 8);
          c00 = madd(a0, w0, c00);
          c01 = madd(a0, w1, c01);
          c10 = madd(a1, w0, c10);
          c11 = madd(a1, w1, c11);
          const a2 = v128.load32_splat(q, 16), a3 = v128.load32_splat(q, 24);
          c20 = madd(a2, w0, c20);
          c21 = madd(a2, w1, c21);
          c30 = madd(a3, w0, c30);
          c31 = madd(a3, w1, c31);
        }
      }
    } else {
      for (let r = runBuf; r < rEnd; r += 4) {
        const k0 = <usize>load<i32>(r);
        pw = wpan + (k0 << 5);
        for (let t = tap + (k0 << 2), te = t + rBytes; t < te; t += 4, pw += 32) {
          const o = <usize>load<i32>(t);
          const w0 = v128.load(pw), w1 = v128.load(pw, 16);
          const a0 = v128.load32_splat(g0 + o), a1 = v128.load32_splat(g1 + o);
          c00 = madd(a0, w0, c00);
          c01 = madd(a0, w1, c01);
          c10 = madd(a1, w0, c10);
          c11 = madd(a1, w1, c11);
          const a2 = v128.load32_splat(g2 + o), a3 = v128.load32_splat(g3 + o);
          c20 = madd(a2, w0, c20);
          c21 = madd(a2, w1, c21);
          c30 = madd(a3, w0, c30);
          c31 = madd(a3, w1, c31);
        }
      }
    }
    const np = min(4, l1 - l);
    storeTransposed(y, L, l, np, min(nc, 4), c00, c10, c20, c30);
    if (nc > 4) storeTransposed(at(y, 4 * L), L, l, np, nc - 4, c01, c11, c21, c31);
  }
}

/** As `directBlock8` for a block of at most 4 channels (lanes 0–3 of wpan), 8 positions a tile. */
function directBlock4(L: i32, l0: i32, l1: i32, K: i32, grid: usize, pos: usize, tap: usize,
                      wpan: usize, b0: v128, y: usize, nc: i32): void {
  for (let l = l0; l < l1; l += 8) {
    const pp = pos + (<usize>l << 2);
    const g0 = grid + <usize>load<i32>(pp), g1 = grid + <usize>load<i32>(pp, 4);
    const g2 = grid + <usize>load<i32>(pp, 8), g3 = grid + <usize>load<i32>(pp, 12);
    const g4 = grid + <usize>load<i32>(pp, 16), g5 = grid + <usize>load<i32>(pp, 20);
    const g6 = grid + <usize>load<i32>(pp, 24), g7 = grid + <usize>load<i32>(pp, 28);
    let c0 = b0, c1 = b0, c2 = b0, c3 = b0, c4 = b0, c5 = b0, c6 = b0, c7 = b0;
    let pw = wpan;
    tileRuns(l, min(l + 7, l1 - 1));
    const rEnd = runBuf + (<usize>runCount << 2), rBytes = <usize>runLen << 2;
    if (l + 8 <= l1 && g7 - g0 == 28) {
      // Eight neighbours in one grid row (real positions only grow, by ≥ 4 bytes each).
      for (let r = runBuf; r < rEnd; r += 4) {
        const k0 = <usize>load<i32>(r);
        pw = wpan + (k0 << 5);
        for (let t = tap + (k0 << 2), te = t + rBytes; t < te; t += 4, pw += 32) {
          const q = g0 + <usize>load<i32>(t);
          const w0 = v128.load(pw);
          c0 = madd(v128.load32_splat(q), w0, c0);
          c1 = madd(v128.load32_splat(q, 4), w0, c1);
          c2 = madd(v128.load32_splat(q, 8), w0, c2);
          c3 = madd(v128.load32_splat(q, 12), w0, c3);
          c4 = madd(v128.load32_splat(q, 16), w0, c4);
          c5 = madd(v128.load32_splat(q, 20), w0, c5);
          c6 = madd(v128.load32_splat(q, 24), w0, c6);
          c7 = madd(v128.load32_splat(q, 28), w0, c7);
        }
      }
    } else {
      for (let r = runBuf; r < rEnd; r += 4) {
        const k0 = <usize>load<i32>(r);
        pw = wpan + (k0 << 5);
        for (let t = tap + (k0 << 2), te = t + rBytes; t < te; t += 4, pw += 32) {
          const o = <usize>load<i32>(t);
          const w0 = v128.load(pw);
          c0 = madd(v128.load32_splat(g0 + o), w0, c0);
          c1 = madd(v128.load32_splat(g1 + o), w0, c1);
          c2 = madd(v128.load32_splat(g2 + o), w0, c2);
          c3 = madd(v128.load32_splat(g3 + o), w0, c3);
          c4 = madd(v128.load32_splat(g4 + o), w0, c4);
          c5 = madd(v128.load32_splat(g5 + o), w0, c5);
          c6 = madd(v128.load32_splat(g6 + o), w0, c6);
          c7 = madd(v128.load32_splat(g7 + o), w0, c7);
        }
      }
    }
    storeTransposed(y, L, l, min(4, l1 - l), nc, c0, c1, c2, c3);
    if (l + 4 < l1) storeTransposed(y, L, l + 4, min(4, l1 - l - 4), nc, c4, c5, c6, c7);
  }
}

/**
 * y = conv3d(x, w) + bias on the direct path (x: big side); `work` holds conv3dDirectWork floats.
 * With P_L1 > 0 only the small positions [P_L0, P_L1) of every channel are computed.
 */
export function conv3dDirect(par: usize, x: usize, w: usize, bias: usize, y: usize, work: usize,
                             scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), H = p(par, P_H), W = p(par, P_W);
  const oD = p(par, P_OD), oH = p(par, P_OH), oW = p(par, P_OW);
  const kD = p(par, P_KD), kH = p(par, P_KH), kW = p(par, P_KW);
  const sd = p(par, P_SD), sh = p(par, P_SH), sw = p(par, P_SW);
  const pd = p(par, P_PD), ph = p(par, P_PH), pw = p(par, P_PW);
  const dd = p(par, P_DD), dh = p(par, P_DH), dw = p(par, P_DW);
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT);
  const L = D * H * W, oL = oD * oH * oW, kvol = kD * kH * kW, K = Cog * kvol;
  // Small positions [l0, l1) only (the thread pool's position slices); l1 = 0: all.
  const l0 = p(par, P_L0), l1 = p(par, P_L1) == 0 ? L : p(par, P_L1);
  const Gd = <i32>gridAxis(D, sd, kD, dd), Gh = <i32>gridAxis(H, sh, kH, dh);
  const Gw = <i32>gridAxis(W, sw, kW, dw);
  const GhGw = Gh * Gw, volG = Gd * GhGw;
  const direct = gridIsBig(par);
  const blocks = (Cig + 7) >> 3;
  const tap = work;
  const pos = tap + (<usize>align4(K) << 2);
  const wpan = pos + (<usize>align4(L + 8) << 2);
  const grid = wpan + (<usize>align4(blocks * K * 8) << 2);
  // After the grid: the positions' rows, the rows' tap ranges and a tile's runs (tileRuns).
  posD = grid + (<usize>(direct ? 0 : align4(Cog * volG)) << 2);
  posH = posD + (<usize>align4(L + 8) << 2);
  rangeD = posH + (<usize>align4(L + 8) << 2);
  rangeH = rangeD + (<usize>align4(2 * D) << 2);
  runBuf = rangeH + (<usize>align4(2 * H) << 2);
  runKey = -1;
  runCog = Cog;
  runKD = kD;
  runKH = kH;
  runKW = kW;
  for (let co = 0, k = 0; co < Cog; co++) {
    for (let kd = 0; kd < kD; kd++) {
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++, k++) {
          store<i32>(tap + (<usize>k << 2), (co * volG + kd * dd * GhGw + kh * dh * Gw + kw * dw) << 2);
        }
      }
    }
  }
  let l = 0;
  for (let id = 0; id < D; id++) {
    for (let ih = 0; ih < H; ih++) {
      const row = id * sd * GhGw + ih * sh * Gw;
      for (let iw = 0; iw < W; iw++, l++) {
        store<i32>(pos + (<usize>l << 2), (row + iw * sw) << 2);
        store<i32>(posD + (<usize>l << 2), id);
        store<i32>(posH + (<usize>l << 2), ih);
      }
    }
  }
  // Tiles past L read the last position again (computed, never stored).
  const last = load<i32>(pos + (<usize>(L - 1) << 2));
  for (; l < L + 8; l++) {
    store<i32>(pos + (<usize>l << 2), last);
    store<i32>(posD + (<usize>l << 2), D - 1);
    store<i32>(posH + (<usize>l << 2), H - 1);
  }
  // The big rows that land in the grid: o ∈ [0, min(o-size, G − p)) along each axis.
  const nd = min(oD, Gd - pd), nh = min(oH, Gh - ph), nw = min(oW, Gw - pw);
  // Taps kd of row id read grid rows g = id·sd + kd·dd; inside the input: pd ≤ g < pd + nd.
  tapRange(rangeD, D, sd, dd, kD, pd, pd + nd);
  tapRange(rangeH, H, sh, dh, kH, ph, ph + nh);
  const z = f32x4.splat(0);
  for (let g = 0; g < G; g++) {
    for (let cb = 0; cb < blocks; cb++) {
      packLanes(at(w, (g * Cig + cb * 8) * K), K, min(8, Cig - cb * 8),
                wpan + (<usize>(cb * K * 8) << 2));
    }
    for (let n = 0; n < N; n++) {
      const big = at(x, (n * Cout + g * Cog) * oL);
      if (!direct) {
        memory.fill(grid, 0, <usize>(Cog * volG) << 2);
        if (nd > 0 && nh > 0 && nw > 0) {
          for (let co = 0; co < Cog; co++) {
            for (let od = 0; od < nd; od++) {
              for (let oh = 0; oh < nh; oh++) {
                memory.copy(at(grid, ((co * Gd + od + pd) * Gh + oh + ph) * Gw + pw),
                            at(big, (co * oD + od) * oH * oW + oh * oW), <usize>nw << 2);
              }
            }
          }
        }
      }
      const src = direct ? big : grid;
      for (let cb = 0; cb < blocks; cb++) {
        const c0 = g * Cig + cb * 8, nc = min(8, Cig - cb * 8);
        v128.store(tile, z);
        v128.store(tile, z, 16);
        if (bias != 0) memory.copy(tile, at(bias, c0), <usize>nc << 2);
        const b0 = v128.load(tile), b1 = v128.load(tile, 16);
        const yb = at(y, (n * Cin + c0) * L), pan = wpan + (<usize>(cb * K * 8) << 2);
        if (nc <= 4) {
          directBlock4(L, l0, l1, K, src, pos, tap, pan, b0, yb, nc);
        } else {
          directBlock8(L, l0, l1, K, src, pos, tap, pan, b0, b1, yb, nc);
        }
      }
    }
  }
}

/**
 * dW = Σ_n Σ_i x[n, ci, i] · B(i, (co, tap)) on the implicit path (dy: big side). With
 * `rowRuns` K runs over x's positions in place; otherwise x is copied into the padded grid (zero
 * in the grid's junk rows and columns) and K runs over whole padded planes, where a non-finite
 * dy value that only junk positions read would still reach dW as 0·inf.
 */
export function weightGradImplicit(par: usize, x: usize, dy: usize, dw: usize, work: usize,
                                   scratch: usize): void {
  setScratch(scratch);
  const N = p(par, P_N), G = p(par, P_G), Cig = p(par, P_CIG), Cog = p(par, P_COG);
  const D = p(par, P_D), H = p(par, P_H), W = p(par, P_W);
  const oL = p(par, P_OD) * p(par, P_OH) * p(par, P_OW), L = D * H * W;
  const Cin = p(par, P_CIN), Cout = p(par, P_COUT);
  const M = Cog * p(par, P_KD) * p(par, P_KH) * p(par, P_KW);
  const axes = work;
  backLayout(par, axes);
  const Wq = ax(axes, 2, AX_Q), HW = ax(axes, 1, AX_Q) * Wq;
  const tab = backTab, bigS = backBigS, bigSFloats = backBigSFloats;
  let q = backRest;
  const xg = q, K = D * HW;
  q += <usize>align4(Cig * K) << 2;
  const kTab = q;  // with rowRuns: the grid offset of each run of 4 small positions
  const runs = rowRuns(par);
  if (runs) {
    let r = 0;
    for (let id = 0; id < D; id++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw += 4) store<i32>(kTab + (<usize>(r++) << 2), id * HW + ih * Wq + iw);
      }
    }
  }
  memory.fill(dw, 0, <usize>(Cin * M) << 2);
  for (let g = 0; g < G; g++) {
    for (let n = 0; n < N; n++) {
      splitPhases(par, axes, dy, (n * Cout + g * Cog) * oL, Cog, bigS, bigSFloats);
      if (runs) {
        if (Cig == 1) {
          dotCols(M, L, at(x, (n * Cin + g) * L), bigS, tab, at(dw, g * M), kTab);
        } else {
          gemm(Cig, M, L, at(x, (n * Cin + g * Cig) * L), L, 1, bigS, 0, 0, at(dw, g * Cig * M), M,
               true, B_COLS, tab, kTab);
        }
        continue;
      }
      memory.fill(xg, 0, <usize>(Cig * K) << 2);
      for (let ci = 0; ci < Cig; ci++) {
        const src = (n * Cin + g * Cig + ci) * L;
        for (let id = 0; id < D; id++) {
          for (let ih = 0; ih < H; ih++) {
            memory.copy(at(xg, ci * K + id * HW + ih * Wq), at(x, src + (id * H + ih) * W), <usize>W << 2);
          }
        }
      }
      if (Cig == 1) {
        dotCols(M, K, xg, bigS, tab, at(dw, g * M), 0);
      } else {
        gemm(Cig, M, K, xg, K, 1, bigS, 0, 0, at(dw, g * Cig * M), M, true, B_COLS, tab);
      }
    }
  }
}

/** db[c] = Σ_n Σ_l dy[n, c, l] (dy viewed as [N, C, L]), in f32x4 partial sums. */
export function biasGrad(dy: usize, N: i32, C: i32, L: i32, db: usize): void {
  for (let c = 0; c < C; c++) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let tail: f32 = 0;
    for (let n = 0; n < N; n++) {
      let q = at(dy, (n * C + c) * L);
      const end = q + (<usize>L << 2);
      for (; q + 64 <= end; q += 64) {
        a0 = f32x4.add(a0, v128.load(q));
        a1 = f32x4.add(a1, v128.load(q, 16));
        a2 = f32x4.add(a2, v128.load(q, 32));
        a3 = f32x4.add(a3, v128.load(q, 48));
      }
      for (; q + 16 <= end; q += 16) a0 = f32x4.add(a0, v128.load(q));
      for (; q < end; q += 4) tail += load<f32>(q);
    }
    const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    store<f32>(at(db, c), f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) +
                          f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3) + tail);
  }
}

/**
 * Whether the n floats at p (16-byte aligned) are all finite: an exponent of all ones is NaN or
 * ±Inf. The fast paths above are exact for finite inputs only (they multiply zero padding or
 * junk columns by their inputs, and 0·NaN = NaN), so the JS side checks the inputs with this and
 * gives non-finite ones to the JS core, which propagates them as PyTorch does.
 */
export function allFinite(p: usize, n: i32): bool {
  const exp = i32x4.splat(0x7f800000);
  let m0 = i32x4.splat(0), m1 = i32x4.splat(0);
  let q = p;
  const end = p + (<usize>n << 2);
  for (; q + 32 <= end; q += 32) {
    m0 = v128.or(m0, i32x4.eq(v128.and(v128.load(q), exp), exp));
    m1 = v128.or(m1, i32x4.eq(v128.and(v128.load(q, 16), exp), exp));
  }
  for (; q + 16 <= end; q += 16) m0 = v128.or(m0, i32x4.eq(v128.and(v128.load(q), exp), exp));
  let bad = v128.any_true(v128.or(m0, m1));
  for (; q < end; q += 4) bad = bad || (load<i32>(q) & 0x7f800000) == 0x7f800000;
  return !bad;
}
