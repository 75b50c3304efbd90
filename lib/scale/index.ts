// Scaling out on one machine: prefork serving.
export { checkAppServer, factoryOf, loadAppFactory, resolveAppModule } from './app';
export type { AppContext, AppFactory, AppServer } from './app';
export type { ListenMode } from './listeners';
export { CrashLoopError, defaultPreforkLogger, Prefork, serve, WorkerBootError } from './prefork';
export type { PreforkLogger, PreforkLogLevel, ServeOptions, WorkerInfo, WorkerState } from './prefork';
