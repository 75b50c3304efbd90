// gevent's file objects and gevent.os's cooperative reads and writes.
export { File } from './file';
export {
  fdopen,
  open,
  readFile,
  writeFile,
  type FdopenOptions,
  type OpenFlags,
  type PathLike,
  type ReadFileOptions,
  type WriteFileOptions,
} from './open';
export { stderr, stdin, stdout } from './std';
