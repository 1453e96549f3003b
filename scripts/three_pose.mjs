// Pose a .glb the way a three.js web viewer plays it: GLTFLoader reads it, an AnimationMixer plays
// its first animation (once, clamped) to the given time, and every skinned vertex is read back
// (SkinnedMesh.getVertexPosition, in world space). three is installed by scripts/setup.sh into
// .cache/node. Prints JSON {duration, tracks, bones, vertices, positions: [x, y, z, ...]}.
//   node scripts/three_pose.mjs FILE.glb SECONDS
import fs from "fs";
import path from "path";
import { fileURLToPath, pathToFileURL } from "url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".cache", "node",
                       "node_modules", "three");
const THREE = await import(pathToFileURL(path.join(root, "build", "three.module.js")).href);
const { GLTFLoader } = await import(
  pathToFileURL(path.join(root, "examples", "jsm", "loaders", "GLTFLoader.js")).href);

// Node has no DOM: embedded textures "decode" to a stub bitmap (geometry, skin and animation are
// what this checks; a browser decodes the PNG itself).
globalThis.self = globalThis;
globalThis.createImageBitmap = async () => ({ width: 1, height: 1, close() {} });

const [file, seconds] = [process.argv[2], parseFloat(process.argv[3] || "0")];
const data = fs.readFileSync(file);
const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
new GLTFLoader().parse(buffer, "", (gltf) => {
  const scene = gltf.scene;
  const clip = gltf.animations[0];
  if (clip) {
    const action = new THREE.AnimationMixer(scene).clipAction(clip);
    action.setLoop(THREE.LoopOnce, 1);
    action.clampWhenFinished = true;
    action.play();
    action.getMixer().setTime(seconds);
  }
  scene.updateMatrixWorld(true);
  let mesh = null;
  scene.traverse((o) => { if (o.isMesh && mesh === null) mesh = o; });
  const n = mesh.geometry.attributes.position.count;
  const out = new Array(3 * n);
  const v = new THREE.Vector3();
  for (let i = 0; i < n; i++) {
    mesh.getVertexPosition(i, v);
    v.applyMatrix4(mesh.matrixWorld);
    out[3 * i] = v.x; out[3 * i + 1] = v.y; out[3 * i + 2] = v.z;
  }
  process.stdout.write(JSON.stringify({
    duration: clip ? clip.duration : 0, tracks: clip ? clip.tracks.length : 0,
    bones: mesh.isSkinnedMesh ? mesh.skeleton.bones.length : 0, vertices: n, positions: out }));
}, (error) => { process.stderr.write(String(error) + "\n"); process.exitCode = 2; });
