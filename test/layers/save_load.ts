/** The layer suites' save/load round trip: `model.save` to memory, then `tf.loadLayersModel`. */
import * as tf from '@tensorflow/tfjs';

export async function saveAndLoad(model: tf.LayersModel):
    Promise<{model: tf.LayersModel, topology: unknown}> {
  let saved: tf.io.ModelArtifacts|null = null;
  await model.save(tf.io.withSaveHandler(async a => {
    saved = a;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  return {model: await tf.loadLayersModel(tf.io.fromMemory(saved!)),
          topology: saved!.modelTopology};
}
