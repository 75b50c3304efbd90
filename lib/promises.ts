// `import 'greenhub/promises'`: applies the promises monkey patch, so any
// promise can be `yield*`-ed inside a greenlet. Its typing (a Promise
// iterator yielding greenhub's switch token) is types/promises.d.ts,
// which the package's "./promises" export points TypeScript to.
import { patch } from './monkey';

patch('promises');
