// The program each pool thread runs. It is plain JavaScript handed to
// `new Worker(source, { eval: true })` rather than a module file, so that
// it runs the same from dist/ and from the TypeScript sources under tsx.
//
// Protocol: tasks come on the worker's parentPort as
//   { id, source, args } (a function's source) or { id, module, name, args };
// each reply goes on the MessagePort given in workerData as
//   { id, ok: true, value } or { id, ok: false, error },
// followed by asyncSend(token), which wakes the pool's async watcher on the
// hub's loop (the reply is read there with receiveMessageOnPort).

/** @internal */
export const WORKER_SOURCE = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { asyncSend } = require(workerData.addonPath);
const { token, port } = workerData;

// A task's function is evaluated at global scope: let it require modules,
// and give it the name-keeping helper that esbuild (tsx) inserts into
// functions compiled from TypeScript.
globalThis.require = require;
if (typeof globalThis.__name !== 'function') globalThis.__name = (fn) => fn;

const functions = new Map();

function lookup(task) {
  if (task.source !== undefined) {
    let fn = functions.get(task.source);
    if (fn === undefined) {
      fn = (0, eval)('(' + task.source + '\n)');
      if (typeof fn !== 'function') throw new TypeError('The task source did not evaluate to a function');
      functions.set(task.source, fn);
    }
    return fn;
  }
  const loaded = require(task.module);
  const fn = task.name === 'default' && typeof loaded === 'function' ? loaded : loaded[task.name];
  if (typeof fn !== 'function') {
    throw new TypeError('Module ' + JSON.stringify(task.module) + ' has no exported function ' + JSON.stringify(task.name));
  }
  return fn;
}

function cloneable(value) {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

// Errors lose their class and extra properties in a structured clone:
// send what makes them up, and the main thread rebuilds them.
function serializeError(error) {
  if (!(error instanceof Error)) {
    return cloneable(error) ? { thrown: error } : { thrown: String(error) };
  }
  const fields = {};
  for (const key of Object.keys(error)) {
    if (key !== 'name' && key !== 'message' && key !== 'stack' && cloneable(error[key])) fields[key] = error[key];
  }
  const out = { name: error.name, message: error.message, stack: error.stack, fields };
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}

function reply(message) {
  try {
    port.postMessage(message);
  } catch (error) {
    // The result could not be cloned (a function, a class instance with
    // private state...): the task fails with that error instead.
    port.postMessage({ id: message.id, ok: false, error: serializeError(error) });
  }
  asyncSend(token);
}

parentPort.on('message', (task) => {
  let result;
  try {
    result = lookup(task).apply(undefined, task.args);
  } catch (error) {
    reply({ id: task.id, ok: false, error: serializeError(error) });
    return;
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    Promise.resolve(result).then(
      (value) => reply({ id: task.id, ok: true, value }),
      (error) => reply({ id: task.id, ok: false, error: serializeError(error) }),
    );
  } else {
    reply({ id: task.id, ok: true, value: result });
  }
});
`;
