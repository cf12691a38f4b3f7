// Builds the database engine test images and the proxy test image (or finds them cached)
// and pushes them to the test registry: `pnpm exec tsx test/images/build.ts`. test/run.sh
// calls it.
import { ensureCaddyImage } from '../support/caddy-image.js';
import { ensureEngineImages } from '../support/engine-images.js';

const started = Date.now();
const images = await ensureEngineImages();
for (const [engine, ref] of Object.entries(images)) console.log(`${engine}: ${ref}`);
console.log(`proxy: ${await ensureCaddyImage()}`);
console.log(`test images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
