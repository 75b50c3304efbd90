// Greenlet-local storage (gevent.local.local).
//
// For the README — how greenhub's `local` maps gevent's onto JS:
//
//   const data = new local();          // or: class Conn extends local { ... }
//   data.user = 'ann';                 // seen only by the current greenlet
//
// - Each greenlet sees its own properties; a new greenlet starts empty.
//   Code outside any greenlet (plain async code, loop callbacks, the hub)
//   shares one view, the hub's: gevent's main greenlet.
// - A greenlet's view is dropped when it dies (one rawlink per greenlet,
//   whatever the number of locals), and when the local itself is garbage
//   collected (views are held in WeakMaps keyed by the local).
// - Subclasses: in each greenlet, on its first access there, the
//   subclass constructor runs again — field initializers and body — with
//   the arguments the object was created with, on the same object (so
//   `this` in closures made by the constructor is the local itself).
//   Methods, getters/setters and static members come from the class as
//   usual, shared by all greenlets; class-level (static) state is shared.
//   `new local(arg)` on the base class is a TypeError, as in gevent.
//
// Differences from gevent (Python):
// - The object is a Proxy over per-greenlet property bags; `instanceof`,
//   methods, accessors, `in`, `delete`, Object.keys() and spread work.
//   Deleting a missing property returns true (JS), where Python raises
//   AttributeError; there is no `__dict__` to assign or delete.
// - Python's `__slots__` (shared across greenlets) has no JS counterpart:
//   use static fields or a closure for shared state. Private `#fields`
//   cannot be used in a local subclass: re-running the constructor in a
//   second greenlet would initialize them twice, which JS forbids
//   (TypeError).
// - Properties cannot be made non-configurable and the object cannot be
//   frozen or sealed (each greenlet's view must stay writable).
// - No `copy(local)`: copy the properties you need (`{ ...data }` gives
//   the current greenlet's view as a plain object).
import { invalidArgType } from '../loop/errors';
import type { Greenlet } from '../core/greenlet';
import { getHub, Hub } from '../core/hub';

type View = Record<PropertyKey, unknown>;

/** @internal What a local remembers to rebuild itself in another greenlet. */
interface LocalState {
  readonly ctor: (new (...args: unknown[]) => object) | null;
  readonly args: unknown[];
  proxy: object | null;
}

// Per greenlet (or the hub): its view of each local, weakly keyed by the
// local's state so a dropped local frees its views.
const views = new WeakMap<Greenlet | Hub, WeakMap<LocalState, View>>();

/** The rawlink every greenlet that touched a local gets: its views go with it. */
const dropViews = (greenlet: Greenlet): void => {
  views.delete(greenlet);
};

// Set while a subclass constructor re-runs in a new greenlet: the base
// constructor called for that class then returns the existing proxy
// instead of making a new object.
let reinitializing: LocalState | null = null;

function currentKey(): Greenlet | Hub {
  const hub = getHub();
  return hub._running ?? hub;
}

function viewsOf(key: Greenlet | Hub): WeakMap<LocalState, View> {
  let map = views.get(key);
  if (map === undefined) {
    map = new WeakMap();
    views.set(key, map);
    if (!(key instanceof Hub)) key.rawlink(dropViews);
  }
  return map;
}

function viewOf(state: LocalState): View {
  const map = viewsOf(currentKey());
  let view = map.get(state);
  if (view === undefined) {
    view = Object.create(null) as View;
    map.set(state, view);
    if (state.ctor !== null) {
      // First access in this greenlet: run the subclass constructor again
      // on this same object; its initializers fill the new view.
      const outer = reinitializing;
      reinitializing = state;
      try {
        Reflect.construct(state.ctor, state.args);
      } catch (error) {
        // No half-built view: the next access tries (and raises) again.
        map.delete(state);
        throw error;
      } finally {
        reinitializing = outer;
      }
    }
  }
  return view;
}

function handler(state: LocalState): ProxyHandler<object> {
  return {
    get(target, key, receiver) {
      const view = viewOf(state);
      return key in view ? Reflect.get(view, key, receiver) : Reflect.get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      const view = viewOf(state);
      if (key in view) {
        const own = Object.getOwnPropertyDescriptor(view, key) as PropertyDescriptor;
        if (own.set !== undefined) {
          Reflect.apply(own.set, receiver, [value]);
          return true;
        }
        if (own.get !== undefined || own.writable === false) return false;
        view[key] = value;
        return true;
      }
      // Setters and read-only properties of the class apply; a plain
      // assignment ends in defineProperty below, on this greenlet's view.
      return Reflect.set(target, key, value, receiver);
    },
    has(target, key) {
      return key in viewOf(state) || Reflect.has(target, key);
    },
    deleteProperty(_target, key) {
      return delete viewOf(state)[key];
    },
    ownKeys() {
      return Reflect.ownKeys(viewOf(state));
    },
    getOwnPropertyDescriptor(_target, key) {
      const own = Object.getOwnPropertyDescriptor(viewOf(state), key);
      return own === undefined ? undefined : { ...own, configurable: true };
    },
    defineProperty(_target, key, descriptor) {
      if (descriptor.configurable === false) return false;
      Object.defineProperty(viewOf(state), key, { ...descriptor, configurable: true });
      return true;
    },
    preventExtensions() {
      return false;
    },
  };
}

/**
 * Greenlet-local storage: each greenlet (and code outside greenlets, as
 * one) sees its own properties on the same object. Subclass it to give
 * the properties defaults: the constructor runs again in each greenlet on
 * its first access there.
 */
export class local {
  [key: string]: unknown;

  constructor(...args: unknown[]) {
    const rebuilding = reinitializing;
    if (rebuilding !== null && rebuilding.ctor === new.target) {
      // Consumed: a local the constructor creates is a new one.
      reinitializing = null;
      return rebuilding.proxy as this;
    }
    if (new.target === local && args.length > 0) {
      throw invalidArgType('args', 'empty: initialization arguments are not supported by local itself (subclass it)', args[0]);
    }
    const state: LocalState = { ctor: new.target === local ? null : (new.target as LocalState['ctor']), args, proxy: null };
    const proxy = new Proxy(this, handler(state));
    state.proxy = proxy;
    // This construction initializes the current greenlet's view.
    viewsOf(currentKey()).set(state, Object.create(null) as View);
    return proxy as this;
  }
}
