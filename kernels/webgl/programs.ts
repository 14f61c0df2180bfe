/**
 * The WebGL shaders of our three kernels, as tfjs `GPGPUProgram`s. Read them against
 * kernels/cpu/compute.ts and test/reference.ts: same index formulas, in gather form (one output
 * element per fragment, looping over the taps that reach it).
 *
 * Every tensor is seen as a flat 1-D array (an unpacked texture is row-major whatever its logical
 * shape), so the shader does its own NCDHW index arithmetic, all in `int`. What is baked into
 * the source is a layer's hyper-parameters (channels, groups, kernel size, stride, padding,
 * dilation, bias or not): they give constant loop bounds and constant divisors. Spatial sizes
 * and the batch are uniforms, and tfjs' shader key of a 1-D program does not contain the
 * tensors' shapes, so a new input size does not compile a new program (see docs/webgl.md).
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {ConvTranspose3DInfo} from '../../src/geometry.js';

export type Uniform = {name: string, type: 'int'|'ivec3'};

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** `const int NAME = value;` lines for the hyper-parameters baked into a shader. */
export function constants(values: Record<string, number>): string {
  return Object.entries(values).map(([k, v]) => `const int ${k} = ${v};`).join('\n');
}

/** The layer constants every program shares (D, H, W order per axis). */
export function layerConstants(info: ConvTranspose3DInfo): Record<string, number> {
  const [kd, kh, kw] = info.kernelSize;
  return {
    CIN: info.inChannels, COUT: info.outChannels, CIG: info.inChannelsPerGroup,
    COG: info.outChannelsPerGroup,
    KD: kd, KH: kh, KW: kw, KVOL: kd * kh * kw,
    SD: info.stride[0], SH: info.stride[1], SW: info.stride[2],
    PD: info.padding[0], PH: info.padding[1], PW: info.padding[2],
    DD: info.dilation[0], DH: info.dilation[1], DW: info.dilation[2],
  };
}

export const SIZE_UNIFORMS: Uniform[] = [
  {name: 'smallSize', type: 'ivec3'},  // [D, H, W] of the small side
  {name: 'bigSize', type: 'ivec3'},    // [D, H, W] of the big side
  {name: 'batchSize', type: 'int'},
];

/** Values of SIZE_UNIFORMS, in order, for `runWebGLProgram`'s customUniformValues. */
export function sizeUniformValues(info: ConvTranspose3DInfo): number[][] {
  return [[...info.inSize], [...info.outSize], [info.batchSize]];
}

/**
 * Along one axis of the transposed conv, big index `o` receives small index i = (o + p − k·d) / s
 * from the taps k with o + p − k·d ≡ 0 (mod s). They are k0, k0 + step, … with
 * step = s / gcd(s, d) and k0 the first solution, found in fewer than `step` tries. Only
 * non-negative values are divided (GLSL leaves negative integer division undefined).
 */
export const FIRST_TAP = `
int firstTap(int t, int s, int d, int step, int kSize) {
  for (int k = 0; k < step; k++) {
    int v = t - k * d;
    if (k >= kSize || v < 0) break;  // v only decreases: no valid tap at all
    if (imod(v, s) == 0) return k;
  }
  return kSize;
}`;

/**
 * y[n, co, o] = bias[co] + Σ_{ci in co's group} Σ_k x[n, ci, i] · w[ci, co mod Cog, k] with
 * o = i·s − p + k·d (PtConvTranspose3D). Output: the big side, flat.
 */
export class ConvTranspose3DProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(info: ConvTranspose3DInfo, hasBias: boolean) {
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.outputShape = [info.outShape.reduce((a, b) => a * b, 1)];
    const c = layerConstants(info);
    const steps = {
      STEP_D: c.SD / gcd(c.SD, c.DD), STEP_H: c.SH / gcd(c.SH, c.DH),
      STEP_W: c.SW / gcd(c.SW, c.DW),
    };
    this.userCode = `
${constants({...c, ...steps})}
${FIRST_TAP}

void main() {
  int idx = getOutputCoords();
  // idx = (((n·COUT + co)·bigD + od)·bigH + oh)·bigW + ow
  int ow = imod(idx, bigSize.z);
  int r = idx / bigSize.z;
  int oh = imod(r, bigSize.y);
  r = r / bigSize.y;
  int od = imod(r, bigSize.x);
  r = r / bigSize.x;
  int co = imod(r, COUT);
  int n = r / COUT;
  int g = co / COG;
  int col = co - g * COG;
  int smallL = smallSize.x * smallSize.y * smallSize.z;
  int xBase = (n * CIN + g * CIG) * smallL;      // x[n, g·CIG, 0]
  int wBase = (g * CIG * COG + col) * KVOL;      // w[g·CIG, col, 0]
  float acc = ${hasBias ? 'getBias(co)' : '0.0'};
  int td = od + PD, th = oh + PH, tw = ow + PW;
  int kd0 = firstTap(td, SD, DD, STEP_D, KD);
  int kh0 = firstTap(th, SH, DH, STEP_H, KH);
  int kw0 = firstTap(tw, SW, DW, STEP_W, KW);
  // Along each axis i decreases as k grows: stop at i < 0, skip i ≥ size.
  for (int kd = kd0; kd < KD; kd += STEP_D) {
    if (td - kd * DD < 0) break;
    int id = (td - kd * DD) / SD;  // exact: td − kd·DD is a multiple of SD
    if (id >= smallSize.x) continue;
    for (int kh = kh0; kh < KH; kh += STEP_H) {
      if (th - kh * DH < 0) break;
      int ih = (th - kh * DH) / SH;
      if (ih >= smallSize.y) continue;
      for (int kw = kw0; kw < KW; kw += STEP_W) {
        if (tw - kw * DW < 0) break;
        int iw = (tw - kw * DW) / SW;
        if (iw >= smallSize.z) continue;
        int xi = xBase + (id * smallSize.y + ih) * smallSize.z + iw;
        int wi = wBase + (kd * KH + kh) * KW + kw;
        for (int c = 0; c < CIG; c++) {
          acc += getX(xi) * getW(wi);
          xi += smallL;
          wi += COG * KVOL;
        }
      }
    }
  }
  setOutput(acc);
}`;
  }
}

/**
 * The integers i in [lo, hi) ⊂ [0, count) with 0 ≤ off + i·step < big: along one axis, the taps
 * of a conv3d window (step = d, off = i·s − p the window's origin in the big tensor) or the
 * small-side positions of one tap (step = s, off = k·d − p: the cpu's tapRange).
 */
export const VALID_RANGE = `
ivec2 validRange(int off, int step, int count, int big) {
  int lo = off >= 0 ? 0 : (step - 1 - off) / step;  // ceil(−off / step)
  int last = big - 1 - off;                          // i·step ≤ last
  int hi = last < 0 ? 0 : min(count, last / step + 1);
  return ivec2(lo, max(lo, hi));
}`;

/**
 * y[n, ci, i] = bias[ci] + Σ_{co in ci's group} Σ_k w[ci, co mod Cog, k] · x[n, co, i·s − p + k·d]
 * (PtConv3D, PyTorch's conv3d: x is the big side, the output the small side), flat.
 */
export class Conv3DProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(info: ConvTranspose3DInfo, hasBias: boolean) {
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.outputShape = [info.inShape.reduce((a, b) => a * b, 1)];
    this.userCode = `
${constants(layerConstants(info))}
${VALID_RANGE}

void main() {
  int idx = getOutputCoords();
  // idx = (((n·CIN + ci)·smallD + id)·smallH + ih)·smallW + iw
  int iw = imod(idx, smallSize.z);
  int r = idx / smallSize.z;
  int ih = imod(r, smallSize.y);
  r = r / smallSize.y;
  int id = imod(r, smallSize.x);
  r = r / smallSize.x;
  int ci = imod(r, CIN);
  int n = r / CIN;
  int g = ci / CIG;
  int bigL = bigSize.x * bigSize.y * bigSize.z;
  int xBase = (n * COUT + g * COG) * bigL;  // x[n, g·COG, 0]
  int wBase = ci * COG * KVOL;              // w[ci, 0, 0]
  float acc = ${hasBias ? 'getBias(ci)' : '0.0'};
  int offD = id * SD - PD, offH = ih * SH - PH, offW = iw * SW - PW;
  ivec2 rd = validRange(offD, DD, KD, bigSize.x);
  ivec2 rh = validRange(offH, DH, KH, bigSize.y);
  ivec2 rw = validRange(offW, DW, KW, bigSize.z);
  for (int kd = rd.x; kd < rd.y; kd++) {
    for (int kh = rh.x; kh < rh.y; kh++) {
      int row = xBase + ((offD + kd * DD) * bigSize.y + offH + kh * DH) * bigSize.z + offW;
      for (int kw = rw.x; kw < rw.y; kw++) {
        int xi = row + kw * DW;
        int wi = wBase + (kd * KH + kh) * KW + kw;
        for (int c = 0; c < COG; c++) {
          acc += getX(xi) * getW(wi);
          xi += bigL;
          wi += KVOL;
        }
      }
    }
  }
  setOutput(acc);
}`;
  }
}


/**
 * dW[ci, col, k] = Σ_n Σ_i x[n, ci, i] · dy[n, g·Cog + col, i·s − p + k·d]
 * (PtConvTranspose3DWeightGrad; x: small side, dy: big side), flat in the weight's layout.
 */
export class ConvTranspose3DWeightGradProgram implements GPGPUProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(info: ConvTranspose3DInfo) {
    this.outputShape = [info.weightShape.reduce((a, b) => a * b, 1)];
    this.userCode = `
${constants(layerConstants(info))}
${VALID_RANGE}

void main() {
  int idx = getOutputCoords();
  // idx = (((ci·COG + col)·KD + kd)·KH + kh)·KW + kw
  int kw = imod(idx, KW);
  int r = idx / KW;
  int kh = imod(r, KH);
  r = r / KH;
  int kd = imod(r, KD);
  r = r / KD;
  int col = imod(r, COG);
  int ci = r / COG;
  int g = ci / CIG;
  int smallL = smallSize.x * smallSize.y * smallSize.z;
  int bigL = bigSize.x * bigSize.y * bigSize.z;
  int offD = kd * DD - PD, offH = kh * DH - PH, offW = kw * DW - PW;
  ivec2 rd = validRange(offD, SD, smallSize.x, bigSize.x);
  ivec2 rh = validRange(offH, SH, smallSize.y, bigSize.y);
  ivec2 rw = validRange(offW, SW, smallSize.z, bigSize.z);
  float acc = 0.0;
  for (int n = 0; n < batchSize; n++) {
    int xBase = (n * CIN + ci) * smallL;
    int dyBase = (n * COUT + g * COG + col) * bigL;
    for (int id = rd.x; id < rd.y; id++) {
      for (int ih = rh.x; ih < rh.y; ih++) {
        int xi = xBase + (id * smallSize.y + ih) * smallSize.z + rw.x;
        int dyi = dyBase + ((id * SD + offD) * bigSize.y + ih * SH + offH) * bigSize.z +
            rw.x * SW + offW;
        for (int iw = rw.x; iw < rw.y; iw++) {
          acc += getX(xi) * getDy(dyi);
          xi += 1;
          dyi += SW;
        }
      }
    }
  }
  setOutput(acc);
}`;
  }
}
