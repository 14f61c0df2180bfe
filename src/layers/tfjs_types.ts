/**
 * The tfjs-layers types our layers need that tfjs-layers does not export from its root. Every
 * layer file imports them from here, so there is one place that reaches into tfjs-layers' dist.
 * The `.js` extensions are required: under `moduleResolution` node16/nodenext (TypeScript's
 * `tsc --init` default) an extensionless deep import does not resolve and the types silently
 * become `any`-like nothing (`inputShape` "does not exist"); every other mode accepts them too.
 * test/package/types_node_test.ts type-checks a consumer under each mode.
 */
export type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology.js';
export type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers.js';
export type {Kwargs} from '@tensorflow/tfjs-layers/dist/types.js';
