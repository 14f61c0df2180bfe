/**
 * The tfjs-layers types our layers need that tfjs-layers does not export from its root. Every
 * layer file imports them from here, so there is one place that reaches into tfjs-layers' dist.
 */
export type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';
export type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
export type {Kwargs} from '@tensorflow/tfjs-layers/dist/types';
