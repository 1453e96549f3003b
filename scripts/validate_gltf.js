// Validate glTF / GLB files with the Khronos glTF-Validator (npm package gltf-validator, installed
// by scripts/setup.sh into .cache/node). Prints one JSON report for one file, or a JSON
// list of reports for several; exits 1 when any report has errors.
//   node scripts/validate_gltf.js FILE.glb [MORE.glb ...]
const fs = require("fs");
const path = require("path");
const validator = require(path.join(__dirname, "..", ".cache", "node", "node_modules",
                                    "gltf-validator"));

async function main(files) {
  const reports = [];
  for (const file of files) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {
      uri: path.basename(file), maxIssues: 100, writeTimestamp: false,
    });
    reports.push(report);
  }
  process.stdout.write(JSON.stringify(files.length === 1 ? reports[0] : reports));
  process.exitCode = reports.some((r) => r.issues.numErrors > 0) ? 1 : 0;
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(String(error) + "\n");
  process.exitCode = 2;
});
