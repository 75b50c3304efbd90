// Two greenlets interleaving through explicit sleep(0): every switch goes
// through the hub, which runs the other ready greenlet.
import { joinAll, sleep, spawn } from 'greenhub';

function* foo() {
  console.log('Running in foo');
  yield* sleep(0);
  console.log('Explicit context switch to foo again');
}

function* bar() {
  console.log('Explicit context to bar');
  yield* sleep(0);
  console.log('Implicit context switch back to bar');
}

export async function main() {
  await joinAll([spawn(foo), spawn(bar)]);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
