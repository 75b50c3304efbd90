// Shared includes and small helpers for the greenhub addon.
#ifndef GREENHUB_COMMON_H_
#define GREENHUB_COMMON_H_

#include <napi.h>
#include <uv.h>

#include <cstdint>

namespace greenhub {

// libev's event bits; the JS layer uses the same numbers.
enum Revents : int32_t {
  kRead = 0x01,
  kWrite = 0x02,
  kTimer = 0x100,
  kPeriodic = 0x200,
  kSignal = 0x400,
  kChild = 0x800,
  kStat = 0x1000,
  kIdle = 0x2000,
  kPrepare = 0x4000,
  kCheck = 0x8000,
  kAsync = 0x80000,
  // Not a libev bit: tells JS that the watcher stopped itself before this
  // event (a one-shot timer, an exited child), so both sides agree on `active`.
  kStopped = 0x20000000,
  kError = static_cast<int32_t>(0x80000000u),
};

enum class Kind : uint8_t {
  kIo,
  kTimer,
  kSignal,
  kChild,
  kPeriodic,
  kStat,
  kIdle,
  kPrepare,
  kCheck,
  kAsync,
  kFd,
};

const char* KindName(Kind kind);

// Slots of the Int32Array a Loop shares with JS.
enum StateSlot {
  kStateEvents = 0,     // events waiting in the ring
  kStateFdWaiters = 2,  // greenlets waiting on fd watchers (JS counts)
  kStateFdRefd = 3,     // whether the fd poller holds the loop (the addon sets)
  kStateSlots = 4,
};

}  // namespace greenhub

#endif  // GREENHUB_COMMON_H_
