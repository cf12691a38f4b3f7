// Builds the database engine test images (or finds them cached) and pushes them to the
// test registry: `pnpm exec tsx test/images/build.ts`. test/run.sh calls it.
import { ensureEngineImages } from '../support/engine-images.js';

const started = Date.now();
const images = await ensureEngineImages();
for (const [engine, ref] of Object.entries(images)) console.log(`${engine}: ${ref}`);
console.log(`engine images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
