/** The benchmark shapes S1–S7 (foundation issue), shared by every bench. */
import type {ConvTranspose3DOptions} from '../src/geometry.js';

export interface BenchShape {
  name: string;
  input: number[];          // [N, Cin, D, H, W]
  outChannels: number;
  kernel: number;
  options: ConvTranspose3DOptions;
}

export const SHAPES: BenchShape[] = [
  {name: 'S1', input: [1, 16, 8, 8, 8], outChannels: 16, kernel: 3,
   options: {stride: 2, padding: 1, outputPadding: 1}},
  {name: 'S2', input: [1, 32, 16, 16, 16], outChannels: 16, kernel: 3,
   options: {stride: 2, padding: 1, outputPadding: 1}},
  {name: 'S3', input: [1, 64, 8, 16, 16], outChannels: 32, kernel: 4,
   options: {stride: 2, padding: 1}},
  {name: 'S4', input: [2, 32, 8, 8, 8], outChannels: 32, kernel: 3,
   options: {stride: 1, padding: 1, groups: 4}},
  {name: 'S5', input: [1, 16, 8, 8, 8], outChannels: 16, kernel: 3,
   options: {stride: 1, padding: 2, dilation: 2}},
  {name: 'S6', input: [1, 32, 16, 16, 16], outChannels: 32, kernel: 3,
   options: {stride: 2, padding: 1, outputPadding: 1, groups: 32}},
  {name: 'S7', input: [1, 4, 32, 64, 64], outChannels: 4, kernel: 2, options: {stride: 2}},
];

export function weightShape(s: BenchShape): number[] {
  const g = s.options.groups ?? 1;
  return [s.input[1], s.outChannels / g, s.kernel, s.kernel, s.kernel];
}

/** FLOPs = 2·N·Cin·(Cout/g)·kD·kH·kW·D·H·W. */
export function flops(s: BenchShape): number {
  const [n, cin, d, h, w] = s.input;
  const g = s.options.groups ?? 1;
  return 2 * n * cin * (s.outChannels / g) * s.kernel ** 3 * d * h * w;
}

/** n uniform floats in [−1, 1) (Math.random: inputs whose values do not matter). */
export function randomFloats(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** Median wall time (ms) of a synchronous `fn` over `reps` runs after `warmup` runs. */
export function medianSync(fn: () => unknown, reps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[reps >> 1];
}

/**
 * Median ms of each of `fns`, their calls interleaved (a, b, a, b, …) so that the machine's load
 * changes hit all of them alike: for ratios between them (forward+backward / forward).
 */
export async function timeInterleaved(
    fns: Array<() => unknown|Promise<unknown>>, opts: {warmup?: number, reps?: number, budgetMs?: number} = {}):
    Promise<number[]> {
  const {warmup = 2, reps = 15, budgetMs = 8000} = opts;
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const times: number[][] = fns.map(() => []);
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    for (let j = 0; j < fns.length; j++) {
      const t0 = performance.now();
      await fns[j]();
      times[j].push(performance.now() - t0);
    }
    if (performance.now() - start > budgetMs && i >= 2) break;
  }
  return times.map(t => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** Median wall time (ms) of `fn` over `reps` runs after `warmup` runs, bounded by ~budgetMs. */
export async function timeMedian(
    fn: () => unknown|Promise<unknown>, opts: {warmup?: number, reps?: number, budgetMs?: number} = {}):
    Promise<number> {
  const {warmup = 2, reps = 9, budgetMs = 4000} = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (performance.now() - start > budgetMs && times.length >= 3) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
