#include "periodic.h"

#include <cmath>
#include <ctime>

#include "../binding.h"

namespace greenhub {

double PeriodicNext(double offset, double interval, double now) {
  if (interval <= 0) return offset;
  // In long double, (now - offset) / interval cannot overflow for finite
  // doubles, and the grid point is exact for much longer.
  long double span = static_cast<long double>(now) - offset;
  long double next = offset + interval * (std::floor(span / interval) + 1);
  // Rounding can land on or just before `now`: a few steps forward at most.
  // Stepping until it passes would never end for an interval below the
  // resolution of `now` (1e-10 s at today's epoch adds nothing).
  for (int i = 0; i < 4 && next <= now; i++) next += interval;
  double result = static_cast<double>(next);
  // No grid point can be told apart from `now`: the next representable time
  // is the closest there is. Beyond the largest double, +Infinity: never.
  if (!(result > now)) result = std::nextafter(now, HUGE_VAL);
  return result;
}

double WallClockNow() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

namespace {

bool PeriodicArgs(const Napi::CallbackInfo& info, size_t i, double* offset, double* interval, bool* manual) {
  if (!ArgDouble(info, i, "offset", offset) || !ArgSeconds(info, i + 1, "interval", interval) ||
      !ArgBool(info, i + 2, "manual", manual)) {
    return false;
  }
  if (!std::isfinite(*offset)) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The value of \"offset\" is out of range. It must be finite");
    return false;
  }
  return true;
}

Napi::Value PeriodicInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  double offset;
  double interval;
  bool manual;
  if (loop == nullptr || !PeriodicArgs(info, 0, &offset, &interval, &manual)) return Napi::Value();
  return NewWatcherId(info.Env(), loop, loop->backend().NewPeriodic(*loop, offset, interval, manual));
}

Napi::Value PeriodicSet(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* periodic = WatcherArg<PeriodicWatcher>(info, loop, 0, Kind::kPeriodic);
  double offset;
  double interval;
  bool manual;
  if (periodic == nullptr || !PeriodicArgs(info, 1, &offset, &interval, &manual)) return Napi::Value();
  if (periodic->active()) {
    ThrowError(info.Env(), "ERR_WATCHER_ACTIVE", "cannot change an active periodic watcher; stop it first");
    return Napi::Value();
  }
  periodic->Set(offset, interval, manual);
  return Napi::Value();
}

Napi::Value PeriodicAt(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* periodic = WatcherArg<PeriodicWatcher>(info, loop, 0, Kind::kPeriodic);
  if (periodic == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), periodic->at());
}

Napi::Value PeriodicSetAt(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* periodic = WatcherArg<PeriodicWatcher>(info, loop, 0, Kind::kPeriodic);
  double at;
  if (periodic == nullptr || !ArgDouble(info, 1, "at", &at)) return Napi::Value();
  if (!std::isfinite(at)) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The value of \"at\" is out of range. It must be finite");
    return Napi::Value();
  }
  if (!periodic->manual()) {
    ThrowError(info.Env(), "ERR_INVALID_STATE", "only a periodic watcher with a reschedule callback takes times");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), periodic->SetAt(at));
}

}  // namespace

void BindPeriodic(Napi::Object target, Loop* loop) {
  SetFunction(target, "periodicInit", PeriodicInit, loop);
  SetFunction(target, "periodicSet", PeriodicSet, loop);
  SetFunction(target, "periodicAt", PeriodicAt, loop);
  SetFunction(target, "periodicSetAt", PeriodicSetAt, loop);
}

}  // namespace greenhub
