// The same two greenlets without sleep(0): nothing blocks, so nothing
// switches, and they run one after the other.
import { joinAll, spawn } from 'greenhub';

function* foo() {
  console.log('Running in foo');
  console.log('Still in foo: no switch without a blocking call');
}

function* bar() {
  console.log('Running in bar');
  console.log('Still in bar');
}

export async function main() {
  await joinAll([spawn(foo), spawn(bar)]);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
