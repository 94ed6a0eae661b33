// Reference outputs of a TF.js layers model bundle, computed by TensorFlow.js itself (CPU backend).
// usage: node tfjs_reference.js TFJS_NODE_MODULES MODEL_DIR INPUT N H W OUT_DIR LAYER...
// INPUT holds N*H*W*3 little-endian float32 values (NHWC); each layer's output is written to
// OUT_DIR/LAYER.f32 as little-endian float32 in NHWC order, its shape to OUT_DIR/LAYER.shape.
const path = require('path');
const fs = require('fs');
const [modules, modelDir, input, n, h, w, outDir, ...layers] = process.argv.slice(2);
const tf = require(path.join(modules, '@tensorflow/tfjs'));

async function main() {
  await tf.setBackend('cpu');
  const bundle = require(path.resolve(modelDir, 'model.min.js'));
  const group = bundle.weightsManifest[0];
  const shards = group.paths.map(p => Buffer.from(require(path.resolve(modelDir, p + '.min.js')), 'base64'));
  const bytes = Buffer.concat(shards);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: bundle.modelTopology, weightSpecs: group.weights, weightData}));
  const outputs = layers.map(name => model.getLayer(name).output);
  const probe = tf.model({inputs: model.inputs, outputs});
  const raw = fs.readFileSync(input);
  const x = tf.tensor4d(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4), [+n, +h, +w, 3]);
  let results = probe.predict(x);
  if (!Array.isArray(results)) results = [results];
  for (let i = 0; i < layers.length; i++) {
    const data = await results[i].data();
    fs.writeFileSync(path.join(outDir, layers[i] + '.f32'), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    fs.writeFileSync(path.join(outDir, layers[i] + '.shape'), results[i].shape.join(' '));
  }
}
main().catch(e => { console.error(e); process.exit(1); });
