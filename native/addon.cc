// The addon's entry: per-environment state (one per JS thread), loop
// creation, and the functions that need no loop.
#include <memory>
#include <vector>

#include "binding.h"
#include "errors.h"
#include "loop.h"
#include "monitor/watchdog.h"
#include "syscalls/syscalls.h"
#include "watchers/async.h"
#include "watchers/periodic.h"

namespace greenhub {

namespace {

// Owns the loops of one environment. When the environment goes (process
// exit, worker thread end) every loop closes its handles first.
struct Addon {
  std::vector<std::unique_ptr<Loop>> loops;
  MonitorState monitor;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  size_t closing = 0;
};

void OnEnvironmentCleanup(napi_async_cleanup_hook_handle handle, void* data) {
  Addon* addon = static_cast<Addon*>(data);
  Watchdog* watchdog = addon->monitor.watchdog;
  addon->monitor.watchdog = nullptr;
  addon->closing = addon->loops.size() + (watchdog != nullptr ? 1 : 0) + 1;
  auto one_closed = [addon, handle]() {
    if (--addon->closing == 0) napi_remove_async_cleanup_hook(handle);
  };
  // The watchdog's thread is joined before any loop goes.
  if (watchdog != nullptr) watchdog->Close(one_closed);
  for (auto& loop : addon->loops) loop->Close(one_closed);
  one_closed();
}

Napi::Value CreateLoop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsFunction()) {
    ThrowTypeError(env, "ERR_INVALID_ARG_TYPE", "createLoop(backend: string, dispatch: function)");
    return Napi::Value();
  }
  uv_loop_t* uv;
  if (napi_get_uv_event_loop(env, &uv) != napi_ok) {
    ThrowError(env, "ERR_GREENHUB_LOOP", "cannot reach this thread's libuv loop");
    return Napi::Value();
  }
  auto loop = std::make_unique<Loop>(env, uv);
  Napi::Value binding = loop->Open(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Function>());
  if (binding.IsEmpty()) return Napi::Value();
  env.GetInstanceData<Addon>()->loops.push_back(std::move(loop));
  return binding;
}

Napi::Value AsyncSendToken(const Napi::CallbackInfo& info) {
  double token;
  if (!ArgDouble(info, 0, "token", &token)) return Napi::Value();
  return Napi::Boolean::New(info.Env(), AsyncWatcher::SendToken(token));
}

Napi::Value PeriodicNextTime(const Napi::CallbackInfo& info) {
  double offset;
  double interval;
  double now;
  if (!ArgDouble(info, 0, "offset", &offset) || !ArgSeconds(info, 1, "interval", &interval) ||
      !ArgDouble(info, 2, "now", &now)) {
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), PeriodicNext(offset, interval, now));
}

Napi::Value WallClock(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), WallClockNow()); }

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Addon* addon = new Addon();
  env.SetInstanceData<Addon>(addon);
  if (napi_add_async_cleanup_hook(env, OnEnvironmentCleanup, addon, &addon->cleanup) != napi_ok) {
    ThrowError(env, "ERR_GREENHUB_INIT", "cannot register the environment cleanup hook");
    return exports;
  }
  exports.Set("createLoop", Napi::Function::New(env, CreateLoop, "createLoop"));
  exports.Set("asyncSend", Napi::Function::New(env, AsyncSendToken, "asyncSend"));
  exports.Set("periodicNext", Napi::Function::New(env, PeriodicNextTime, "periodicNext"));
  exports.Set("wallClock", Napi::Function::New(env, WallClock, "wallClock"));
  Napi::Array backends = Napi::Array::New(env);
  backends.Set(0u, Napi::String::New(env, "uv"));
#ifdef GREENHUB_HAVE_LIBEV
  backends.Set(1u, Napi::String::New(env, "ev"));
#endif
  exports.Set("backends", backends);
  BindMonitor(exports, &addon->monitor);
  Napi::Object syscalls = Napi::Object::New(env);
  BindFdSyscalls(syscalls);
  BindSocketSyscalls(syscalls);
  exports.Set("syscalls", syscalls);
  return exports;
}

}  // namespace greenhub

static Napi::Object InitGreenhub(Napi::Env env, Napi::Object exports) { return greenhub::Init(env, exports); }

NODE_API_MODULE(greenhub, InitGreenhub)
