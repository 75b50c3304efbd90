#include "timer.h"

#include "../binding.h"

namespace greenhub {

int TimerWatcher::Again() {
  if (repeat_ > 0) {
    int result = DoAgain();
    if (result == 0) MarkActive();
    return result;
  }
  Stop();
  return 0;
}

namespace {

Napi::Value TimerInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  double after;
  double repeat;
  if (loop == nullptr || !ArgSeconds(info, 0, "after", &after) || !ArgSeconds(info, 1, "repeat", &repeat)) {
    return Napi::Value();
  }
  return NewWatcherId(info.Env(), loop, loop->backend().NewTimer(*loop, after, repeat));
}

Napi::Value TimerSet(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* timer = WatcherArg<TimerWatcher>(info, loop, 0, Kind::kTimer);
  double after;
  double repeat;
  if (timer == nullptr || !ArgSeconds(info, 1, "after", &after) || !ArgSeconds(info, 2, "repeat", &repeat)) {
    return Napi::Value();
  }
  if (timer->active()) {
    ThrowError(info.Env(), "ERR_WATCHER_ACTIVE", "cannot change an active timer; stop it first");
    return Napi::Value();
  }
  timer->Set(after, repeat);
  return Napi::Value();
}

Napi::Value TimerAgain(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* timer = WatcherArg<TimerWatcher>(info, loop, 0, Kind::kTimer);
  if (timer == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), timer->Again());
}

Napi::Value TimerRemaining(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* timer = WatcherArg<TimerWatcher>(info, loop, 0, Kind::kTimer);
  if (timer == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), timer->active() ? timer->Remaining() : 0);
}

}  // namespace

void BindTimer(Napi::Object target, Loop* loop) {
  SetFunction(target, "timerInit", TimerInit, loop);
  SetFunction(target, "timerSet", TimerSet, loop);
  SetFunction(target, "timerAgain", TimerAgain, loop);
  SetFunction(target, "timerRemaining", TimerRemaining, loop);
}

}  // namespace greenhub
