// Helpers for the flat JS functions bound to one Loop. JS validates first
// and throws the friendly errors; these checks keep a bad call from ever
// reaching a backend.
#ifndef GREENHUB_BINDING_H_
#define GREENHUB_BINDING_H_

#include <string>

#include "errors.h"
#include "loop.h"

namespace greenhub {

// The loop a bound function belongs to; throws and returns nullptr once the
// loop is closed.
Loop* LoopOf(const Napi::CallbackInfo& info);

// The live watcher whose id is argument `i`, of type T (kind `kind`).
// Throws and returns nullptr for an unknown, closed or mistyped id.
Watcher* WatcherArg(const Napi::CallbackInfo& info, Loop* loop, size_t i);
template <typename T>
T* WatcherArg(const Napi::CallbackInfo& info, Loop* loop, size_t i, Kind kind) {
  Watcher* watcher = WatcherArg(info, loop, i);
  if (watcher == nullptr) return nullptr;
  if (watcher->kind() != kind) {
    std::string message = std::string("watcher ") + std::to_string(watcher->id()) + " is a " +
                          KindName(watcher->kind()) + " watcher, not a " + KindName(kind) + " watcher";
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", message.c_str());
    return nullptr;
  }
  return static_cast<T*>(watcher);
}

void SetFunction(Napi::Object target, const char* name, Napi::Function::Callback callback, Loop* loop);

// Adopts a new watcher and returns its id to JS.
Napi::Value NewWatcherId(Napi::Env env, Loop* loop, std::unique_ptr<Watcher> watcher);

// The binding functions of each watcher type, defined next to the type.
void BindWatcher(Napi::Object target, Loop* loop);
void BindTimer(Napi::Object target, Loop* loop);
void BindIo(Napi::Object target, Loop* loop);
void BindSignal(Napi::Object target, Loop* loop);
void BindChild(Napi::Object target, Loop* loop);
void BindPeriodic(Napi::Object target, Loop* loop);
void BindStat(Napi::Object target, Loop* loop);
void BindPhase(Napi::Object target, Loop* loop);
void BindAsync(Napi::Object target, Loop* loop);
void BindFd(Napi::Object target, Loop* loop);

}  // namespace greenhub

#endif  // GREENHUB_BINDING_H_
