/**
 * The loaders' resource limits: every `.pt` / `.safetensors` file is read under a budget, so that
 * a small hostile file cannot make a loader allocate gigabytes, build millions of tensors or run
 * for minutes. The defaults leave room for any model tfjs can run; a trusted larger file passes
 * a larger limit (`Number.MAX_SAFE_INTEGER` for "none").
 */
import {checkInt, checkOptions, describeValue} from '../args.js';

export interface LoadLimits {
  /**
   * The most bytes one deflate-compressed zip record may inflate to (default 1 GiB). torch.save
   * stores its records uncompressed; those are read in place and cost nothing.
   */
  maxEntryBytes: number;
  /**
   * The most bytes one call may allocate for a file (default 2 GiB): the records it inflates
   * plus the tensors it creates (4 bytes an element, 1 for bool). This is what bounds stride-0
   * and overlapping views, which PyTorch stores once and we copy per tensor.
   */
  maxTotalBytes: number;
  /**
   * The most entries a file may hold (default 100,000): zip records, state_dict keys (each path
   * through dicts that the pickle shares counts), safetensors tensors.
   */
  maxEntries: number;
  /** The deepest nesting of dicts, lists and tuples in a `.pt` file's pickle (default 1,000). */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxEntryBytes: 2 ** 30,
  maxTotalBytes: 2 ** 31,
  maxEntries: 100_000,
  maxDepth: 1000,
});

export const TORCH_OPTION_KEYS = ['maxEntryBytes', 'maxTotalBytes', 'maxEntries', 'maxDepth'] as
    const;
export const SAFETENSORS_OPTION_KEYS = ['maxTotalBytes', 'maxEntries'] as const;

/** Keys longer than this (after flattening nested dicts) are refused: real ones are < 200. */
export const MAX_KEY_CHARS = 65536;

/** The options of a public loader, checked (unknown keys, NaN, ±Infinity, negatives refused). */
export function checkLoadOptions(
    fnName: string, options: unknown, keys: readonly (keyof LoadLimits)[]): LoadLimits {
  const o = checkOptions(fnName, options as Partial<LoadLimits>|null|undefined, keys);
  const limits = {...DEFAULT_LIMITS};
  for (const k of keys) limits[k] = checkInt(fnName, k, o[k], 0, DEFAULT_LIMITS[k]);
  return limits;
}

/** The file's bytes, or a clean error naming the function and what it got. */
export function checkData(fnName: string, data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new Error(`${fnName}: argument 'data' must be a Uint8Array or ArrayBuffer, but got ` +
      describeValue(data));
}

/** `s` shortened for a message (keys from a hostile file can be long). */
export function shown(s: string): string {
  return s.length <= 120 ? s : `${s.slice(0, 100)}… (${s.length} characters)`;
}

/** Running count of the bytes a call allocates, against `maxTotalBytes`. */
export class ByteBudget {
  private used = 0;
  constructor(private readonly prefix: string, private readonly limit: number) {}

  /** Reserves `n` bytes for `what`, or throws before anything is allocated. */
  take(n: number, what: string): void {
    if (this.used + n > this.limit) {
      throw new Error(`${this.prefix}: ${what} would bring the memory this file needs to ` +
          `${this.used + n} bytes, more than maxTotalBytes = ${this.limit}; pass a larger ` +
          `'maxTotalBytes' option if you trust the file`);
    }
    this.used += n;
  }
}

/** Throws `prefix: …` when `count` passes `maxEntries`. */
export function checkEntryCount(prefix: string, count: number, limit: number, what: string):
    void {
  if (count > limit) {
    throw new Error(`${prefix}: ${what} more than maxEntries = ${limit} entries; pass a larger ` +
        `'maxEntries' option if you trust the file`);
  }
}
