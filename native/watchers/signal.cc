#include "signal.h"

#include <csignal>
#include <string>

#include "../binding.h"

namespace greenhub {

bool WatchableSignal(int signum, const char** why) {
  if (signum < 1 || signum >= NSIG) {
    *why = "is not a signal number";
    return false;
  }
  if (signum == SIGKILL || signum == SIGSTOP) {
    *why = "cannot be caught";
    return false;
  }
  if (signum == SIGSEGV || signum == SIGBUS || signum == SIGFPE || signum == SIGILL) {
    *why = "reports a fault that JS cannot recover from";
    return false;
  }
  if (signum > SIGSYS && signum < SIGRTMIN) {
    *why = "is reserved by the C library's threads";
    return false;
  }
  return true;
}

SignalWatcher::SignalWatcher(Loop& loop, int signum) : Watcher(loop, Kind::kSignal), signum_(signum) {
  init_error_ = uv_signal_init(loop.uv(), &handle_);
  handle_.data = this;
}

int SignalWatcher::DoStart() {
  if (init_error_ != 0) return init_error_;
  return uv_signal_start(
      &handle_, [](uv_signal_t* handle, int) { static_cast<SignalWatcher*>(handle->data)->Emit(kSignal); }, signum_);
}

void SignalWatcher::DoStop() { uv_signal_stop(&handle_); }

void SignalWatcher::DoRef(bool ref) {
  if (init_error_ != 0) return;
  if (ref) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handle_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handle_));
  }
}

void SignalWatcher::DoClose() {
  if (init_error_ != 0) return Closed();
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_),
           [](uv_handle_t* handle) { static_cast<SignalWatcher*>(handle->data)->Closed(); });
}

namespace {

Napi::Value SignalInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  int32_t signum;
  if (loop == nullptr || !ArgInt32(info, 0, "signum", &signum)) return Napi::Value();
  const char* why;
  if (!WatchableSignal(signum, &why)) {
    std::string message = "The value of \"signum\" is out of range: signal " + std::to_string(signum) + " " + why;
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", message.c_str());
    return Napi::Value();
  }
  return NewWatcherId(info.Env(), loop, std::make_unique<SignalWatcher>(*loop, signum));
}

}  // namespace

void BindSignal(Napi::Object target, Loop* loop) { SetFunction(target, "signalInit", SignalInit, loop); }

}  // namespace greenhub
