// The blocking monitor (gevent's monitor thread): a native watchdog thread
// notices when the event loop has not turned for maxBlockingTime, and the
// hub reports which greenlet was running, for how long and where it was
// spawned, without stopping the program.
//
// The watchdog (native/monitor/watchdog.cc) only reads counters: the hub
// bumps one at every greenlet switch and writes the running greenlet's
// ident next to it. When the watchdog notices a block it records the
// culprit's ident, asks V8 for the JS stack, and wakes an async watcher.
// The culprit itself takes the report when it switches out (so the
// attribution is exact even if other greenlets run before the async
// watcher does); a block outside greenlets is taken by the async watcher.
import { EventEmitter } from 'node:events';

import type { AsyncWatcher } from '../loop/async';
import { outOfRange } from '../loop/errors';
import { addon } from '../loop/native';
import { validateBoolean, validateNumber, validateObject } from '../loop/validate';
import type { Greenlet } from './greenlet';
import type { Hub } from './hub';
import { trackSpawnSites, withoutOwnFrames } from './spawn-site';

export interface MonitorOptions {
  /** Seconds the loop may go without turning before it counts as blocked (default 0.1; 0.001 to 3600). */
  maxBlockingTime?: number;
  /** Print each report to hub.exceptionStream (default true). */
  printReports?: boolean;
  /** Capture the JS stack of the blocking code through a V8 interrupt (default true). */
  captureStacks?: boolean;
  /** Record where greenlets are spawned while the monitor runs (~1–2 µs per greenlet; default true). */
  spawnSites?: boolean;
}

// Slots of the array shared with the watchdog (native/monitor/watchdog.h).
const SWITCHES = 0;
const RUNNING = 1;
const BLOCKED = 2;
const CULPRIT = 3;

/** What the monitor found: who blocked the loop, for how long, and where. */
export class BlockingReport {
  /** The greenlet that was running; null when the block was outside greenlets (a callback, plain JS). */
  readonly greenlet: Greenlet | null;
  /** Seconds the loop went without turning (at least; measured when the block ended). */
  readonly blockedFor: number;
  /** The JS stack while the block was going on, when captured. */
  readonly stack: string | null;
  /** Where the greenlet was spawned, when recorded. */
  readonly spawnSite: string | null;
  /** The monitor's threshold, in seconds. */
  readonly maxBlockingTime: number;
  readonly time: Date;
  /** hub.dump() when the report was made. */
  readonly dump: string;

  /** @internal */
  constructor(fields: Omit<BlockingReport, 'toString'>) {
    this.greenlet = fields.greenlet;
    this.blockedFor = fields.blockedFor;
    this.stack = fields.stack;
    this.spawnSite = fields.spawnSite;
    this.maxBlockingTime = fields.maxBlockingTime;
    this.time = fields.time;
    this.dump = fields.dump;
  }

  /** The report as printed. */
  toString(): string {
    const who = this.greenlet !== null ? String(this.greenlet) : 'code outside any greenlet (a callback or plain JS)';
    const lines = [
      `${this.time.toISOString()} greenhub monitor: ${who} blocked the event loop for ` +
        `${formatMs(this.blockedFor)} (maxBlockingTime ${formatMs(this.maxBlockingTime)})`,
    ];
    if (this.spawnSite !== null) lines.push('  spawned at:', this.spawnSite);
    if (this.stack !== null) lines.push('  running when the block was noticed:', this.stack);
    lines.push(...this.dump.split('\n').map((line) => `  ${line}`));
    return lines.join('\n');
  }
}

function formatMs(seconds: number): string {
  return `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
}

interface MonitorEvents {
  blocking: [report: BlockingReport];
}

/**
 * A running monitor (hub.startMonitor()). Emits 'blocking' with a
 * BlockingReport for each block it notices; an error thrown by a listener
 * goes to hub.handleError.
 */
export class Monitor extends EventEmitter<MonitorEvents> {
  readonly hub: Hub;
  /** Reports made so far. */
  reportCount = 0;
  private _maxBlockingTime = 0.1;
  private _printReports = true;
  private _captureStacks = true;
  private _spawnSites = true;
  private _watcher: AsyncWatcher | null = null;
  private _watch: Int32Array | null = null;

  /** @internal hub.startMonitor() makes it. */
  constructor(hub: Hub, options: MonitorOptions) {
    super();
    this.hub = hub;
    this._configure(options);
  }

  get maxBlockingTime(): number {
    return this._maxBlockingTime;
  }

  get running(): boolean {
    return this._watch !== null;
  }

  /** Whether reports are printed to hub.exceptionStream. */
  get printReports(): boolean {
    return this._printReports;
  }

  set printReports(value: boolean) {
    validateBoolean('printReports', value);
    this._printReports = value;
  }

  /** Stops the watchdog thread; hub.startMonitor() starts a new one. */
  stop(): void {
    if (this._watch === null) return;
    addon.monitorStop();
    this._watch = null;
    if (this.hub._watch !== null) this.hub._watch = null;
    this._watcher?.close();
    this._watcher = null;
    if (this._spawnSites) trackSpawnSites(false);
  }

  /** @internal (Re)starts the watchdog with new options. */
  _configure(options: MonitorOptions): void {
    const settings = validateMonitorOptions(options, {
      maxBlockingTime: this._maxBlockingTime,
      printReports: this._printReports,
      captureStacks: this._captureStacks,
      spawnSites: this._spawnSites,
    });
    this.stop();
    const watcher = this.hub.loop.async();
    try {
      // The watchdog's wake-up never keeps the process (or a waiting greenlet) alive.
      watcher.ref = false;
      watcher.start(() => this._onWake());
      this._watch = addon.monitorStart(settings.maxBlockingTime * 1000, watcher.token, settings.captureStacks);
    } catch (error) {
      watcher.close();
      throw error;
    }
    this._watcher = watcher;
    this._maxBlockingTime = settings.maxBlockingTime;
    this._printReports = settings.printReports;
    this._captureStacks = settings.captureStacks;
    this._spawnSites = settings.spawnSites;
    if (this._spawnSites) trackSpawnSites(true);
    const running = this.hub._running;
    if (running !== null) this._watch[RUNNING] = running.minimalIdent;
    this.hub._watch = this._watch;
  }

  /** @internal The culprit switching out takes its own report (exact attribution). */
  _switchedOut(greenlet: Greenlet): void {
    const watch = this._watch;
    if (watch === null || watch[CULPRIT] !== greenlet.minimalIdent) return;
    this._take(greenlet);
  }

  // The watchdog woke us: a block outside greenlets, or one whose greenlet
  // switched out before the watchdog had recorded it.
  private _onWake(): void {
    if (this._watch !== null && this._watch[BLOCKED] !== 0) this._take(null);
  }

  private _take(known: Greenlet | null): void {
    const taken = addon.monitorTake();
    if (taken === null) return;
    const [culprit, blockedMs, stack] = taken;
    const greenlet = known ?? (culprit !== 0 ? this._findGreenlet(culprit) : null);
    this.reportCount++;
    const report = new BlockingReport({
      greenlet,
      blockedFor: blockedMs / 1000,
      stack: stack === '' ? null : withoutOwnFrames(stack),
      spawnSite: greenlet?.spawnSite ?? null,
      maxBlockingTime: this._maxBlockingTime,
      time: new Date(),
      dump: this.hub.dump({ limit: 20 }),
    });
    // Reported from the hub's queue: never inside the greenlet's resume.
    this.hub.loop._schedule({ _runQueued: () => this._publish(report) });
  }

  private _findGreenlet(ident: number): Greenlet | null {
    for (let g = this.hub._liveHead; g !== null; g = g._liveNext) if (g._peekIdent() === ident) return g;
    return null;
  }

  private _publish(report: BlockingReport): void {
    const stream = this.hub.exceptionStream;
    if (this._printReports && stream !== null) stream.write(`${report.toString()}\n\n`);
    this.emit('blocking', report);
  }
}

interface MonitorSettings {
  maxBlockingTime: number;
  printReports: boolean;
  captureStacks: boolean;
  spawnSites: boolean;
}

function validateMonitorOptions(options: MonitorOptions, defaults: MonitorSettings): MonitorSettings {
  validateObject('options', options);
  const settings = { ...defaults };
  if (options.maxBlockingTime !== undefined) {
    validateNumber('options.maxBlockingTime', options.maxBlockingTime);
    if (!(options.maxBlockingTime >= 0.001 && options.maxBlockingTime <= 3600)) {
      throw outOfRange('options.maxBlockingTime', 'a number of seconds from 0.001 to 3600', options.maxBlockingTime);
    }
    settings.maxBlockingTime = options.maxBlockingTime;
  }
  for (const key of ['printReports', 'captureStacks', 'spawnSites'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    validateBoolean(`options.${key}`, value);
    settings[key] = value;
  }
  return settings;
}

/**
 * @internal The monitor GREENHUB_MONITOR asks for: '1' (or 'true') with
 * GREENHUB_MAX_BLOCKING_TIME seconds (default 0.1); undefined when off.
 */
export function monitorOptionsFromEnv(env: NodeJS.ProcessEnv): MonitorOptions | undefined {
  const flag = env.GREENHUB_MONITOR;
  if (flag === undefined || flag === '' || flag === '0' || flag === 'false') return undefined;
  if (flag !== '1' && flag !== 'true') {
    throw Object.assign(new TypeError(`GREENHUB_MONITOR must be 1, true, 0 or false. Received '${flag}'`), {
      code: 'ERR_INVALID_ARG_VALUE',
    });
  }
  const time = env.GREENHUB_MAX_BLOCKING_TIME;
  if (time === undefined || time === '') return {};
  const seconds = Number(time);
  if (!(seconds >= 0.001 && seconds <= 3600)) {
    throw outOfRange('GREENHUB_MAX_BLOCKING_TIME', 'a number of seconds from 0.001 to 3600', time);
  }
  return { maxBlockingTime: seconds };
}

/** @internal For the hub: the counter a switch bumps, the running greenlet's slot. */
export const WATCH_SWITCHES = SWITCHES;
export const WATCH_RUNNING = RUNNING;
export const WATCH_BLOCKED = BLOCKED;
