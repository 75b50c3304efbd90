// npm start: the examples of gevent's introduction, in greenhub, then the
// HTTP hello world server.
import * as switching from './01-switching.mjs';
import * as sequential from './02-sequential.mjs';
import * as ioOrder from './03-io-order.mjs';
import * as http from './04-http-hello.mjs';

console.log('--- 1. Two greenlets switching through sleep(0)');
await switching.main();
console.log('\n--- 2. The same without sleep(0): one after the other');
await sequential.main();
console.log('\n--- 3. I/O-bound greenlets finish in the order their answers come');
await ioOrder.main();
console.log('\n--- 4. HTTP hello world');
http.main();
