// How far password guessing gets against a real control plane: one account, one address, as
// fast as the attacker can send. Prints figures; asserts nothing.
//
//   pnpm build && pnpm bench:sign-in
//
// BENCH_SIGN_IN_SECONDS (default 30) is how long the guessing runs.
import { api } from '../test/support/api.js';
import { startControlPlane, stopAll } from '../test/support/processes.js';

const WINDOW_S = Number(process.env.BENCH_SIGN_IN_SECONDS ?? 30);
const PASSWORD = 'correct horse battery staple';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function attempt(url: string, name: string, password: string) {
  const started = performance.now();
  const res = await fetch(`${url}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  await res.body?.cancel();
  return { status: res.status, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  try {
    const invite = await api<{ token: string }>(cp, 'POST', '/api/v1/invites', {});
    await fetch(`${cp.url}/invites/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: invite.body.token, name: 'ana', password: PASSWORD }),
    });

    // What one check costs, on a fresh address-free baseline: the owner's sign-ins are unlimited
    // until they fail, so time successful sign-ins, then a few wrong ones for an unknown name.
    const right: number[] = [];
    for (let i = 0; i < 5; i++) right.push((await attempt(cp.url, 'ana', PASSWORD)).ms);

    let checked = 0;
    let refused = 0;
    const checkedMs: number[] = [];
    const deadline = performance.now() + WINDOW_S * 1000;
    while (performance.now() < deadline) {
      const { status, ms } = await attempt(cp.url, 'ana', `guess-${checked + refused}`);
      if (status === 429) refused++;
      else {
        checked++;
        checkedMs.push(ms);
      }
    }
    const perCheckMs = median(checkedMs.slice(0, 5));
    const unlimited = Math.floor((WINDOW_S * 1000) / perCheckMs);
    // The limiter lets 5 failures through, then waits 1, 2, 4 … s, capped at 15 min.
    let perDay = 0;
    for (let t = 0, n = 0; t < 86_400_000; n++) {
      perDay++;
      t += n < 4 ? 0 : Math.min(15 * 60_000, 1000 * 2 ** (n - 4));
    }
    console.log(`Password guessing against one account from one address, ${WINDOW_S} s`);
    console.log(`  one password check        ${median(right).toFixed(0)} ms (scrypt, N=2^15)`);
    console.log(`  guesses checked           ${checked}`);
    console.log(`  attempts refused (429)    ${refused}, before any password check`);
    console.log(`  without the limiter       about ${unlimited} checks in the same time`);
    console.log(`  at most, per day          ${perDay} guesses per account and per address`);
  } finally {
    await stopAll();
  }
}

await main();
