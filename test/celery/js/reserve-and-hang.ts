// Child process for the redelivery tests: reserves one message from the
// queue named by argv[3] (default 'celery'), prints its delivery tag and then hangs without acking, so
// the test can kill -9 it mid-task.
import { RedisTransport } from '../../../lib/celery';

async function main(): Promise<void> {
  const url = process.argv[2];
  const transport = new RedisTransport(url);
  const consumer = transport.consume({ queues: [process.argv[3] ?? 'celery'], prefetch: 1 });
  const reserved = await consumer.reserve(20);
  if (reserved === null || reserved.kind !== 'message') {
    process.stdout.write('NOTHING\n');
    process.exit(1);
  }
  process.stdout.write(`RESERVED ${reserved.tag}\n`);
  setInterval(() => undefined, 1000); // "working" forever
}

void main();
