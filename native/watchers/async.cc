#include "async.h"

#include <mutex>
#include <unordered_map>

#include "../binding.h"

namespace greenhub {

namespace {

// Tokens name async watchers across threads. A token is never reused, so a
// stale one finds nothing instead of another thread's watcher.
struct Registry {
  std::mutex mutex;
  std::unordered_map<double, AsyncWatcher*> watchers;
  double next = 1;
};

Registry& registry() {
  static Registry* instance = new Registry();  // outlives every thread
  return *instance;
}

}  // namespace

AsyncWatcher::~AsyncWatcher() { Unregister(); }

double AsyncWatcher::token() {
  if (token_ == 0 && !closing()) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    token_ = r.next++;
    r.watchers[token_] = this;
  }
  return token_;
}

void AsyncWatcher::Unregister() {
  if (token_ == 0) return;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.watchers.erase(token_);
  token_ = 0;
}

bool AsyncWatcher::SendToken(double token) {
  Registry& r = registry();
  // Sending under the lock keeps the watcher from being closed meanwhile.
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.watchers.find(token);
  if (it == r.watchers.end()) return false;
  it->second->Send();
  return true;
}

namespace {

Napi::Value AsyncInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  return NewWatcherId(info.Env(), loop, loop->backend().NewAsync(*loop));
}

Napi::Value AsyncSend(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* async = WatcherArg<AsyncWatcher>(info, loop, 0, Kind::kAsync);
  if (async != nullptr) async->Send();
  return Napi::Value();
}

Napi::Value AsyncToken(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* async = WatcherArg<AsyncWatcher>(info, loop, 0, Kind::kAsync);
  if (async == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), async->token());
}

}  // namespace

void BindAsync(Napi::Object target, Loop* loop) {
  SetFunction(target, "asyncInit", AsyncInit, loop);
  SetFunction(target, "asyncSend", AsyncSend, loop);
  SetFunction(target, "asyncToken", AsyncToken, loop);
}

}  // namespace greenhub
