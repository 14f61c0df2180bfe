/**
 * Default layer names in tfjs' style (`conv_transpose3d_1`, `batch_norm3d_2`): tfjs-layers
 * builds `toSnakeCase(className) + '_' + getUid(className)`, which for our prefixed class names
 * reads `pt_conv_transpose3d_PtConvTranspose3d2`. Every layer of ours passes
 * `args.name ?? defaultLayerName('<snake_case of the torch.nn class>')` to tfjs' constructor.
 */
const counters = new Map<string, number>();

export function defaultLayerName(base: string): string {
  const n = (counters.get(base) ?? 0) + 1;
  counters.set(base, n);
  return `${base}_${n}`;
}
