#include "loop.h"

#include <climits>
#include <cstring>

#include "binding.h"
#include "errors.h"

namespace greenhub {

namespace {

constexpr size_t kInitialRingEvents = 4096;
constexpr size_t kInitialFdState = 1024;

Napi::Value TypedArrayOf(napi_env env, napi_typedarray_type type, size_t length, size_t element, void** data,
                         napi_ref* ref) {
  napi_value buffer;
  napi_value array;
  if (napi_create_arraybuffer(env, length * element, data, &buffer) != napi_ok ||
      napi_create_typedarray(env, type, length, buffer, 0, &array) != napi_ok ||
      napi_create_reference(env, array, 1, ref) != napi_ok) {
    return Napi::Value();
  }
  std::memset(*data, 0, length * element);
  return Napi::Value(env, array);
}

Napi::Value Int32ArrayOf(napi_env env, size_t length, void** data, napi_ref* ref) {
  return TypedArrayOf(env, napi_int32_array, length, sizeof(int32_t), data, ref);
}

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kIo: return "io";
    case Kind::kTimer: return "timer";
    case Kind::kSignal: return "signal";
    case Kind::kChild: return "child";
    case Kind::kPeriodic: return "periodic";
    case Kind::kStat: return "stat";
    case Kind::kIdle: return "idle";
    case Kind::kPrepare: return "prepare";
    case Kind::kCheck: return "check";
    case Kind::kAsync: return "async";
    case Kind::kFd: return "fd";
  }
  return "unknown";
}

Loop::Loop(napi_env env, uv_loop_t* uv) : env_(env), uv_(uv) {
  watchers_.emplace_back();  // id 0 means "no watcher" in the ring
}

Loop::~Loop() {
  // A loop whose Open() failed was never closed: give back what it took.
  // (An opened loop released everything when its Close() finished.)
  if (!finished_ && !backend_) ReleaseReferences();
}

void Loop::ReleaseReferences() {
  for (napi_ref* ref : {&receiver_, &dispatch_, &ring_ref_, &state_ref_, &fd_state_ref_}) {
    if (*ref != nullptr) napi_delete_reference(env_, *ref);
    *ref = nullptr;
  }
  if (async_context_ != nullptr) napi_async_destroy(env_, async_context_);
  async_context_ = nullptr;
}

Napi::Value Loop::Open(const std::string& backend_name, Napi::Function dispatch) {
  Napi::Env env(env_);
  Napi::Object binding = Napi::Object::New(env);
  void* data;
  Napi::Value ring = Int32ArrayOf(env_, kInitialRingEvents * 2, &data, &ring_ref_);
  if (ring.IsEmpty()) return Napi::Value();
  ring_ = static_cast<int32_t*>(data);
  ring_capacity_ = kInitialRingEvents;
  Napi::Value state = Int32ArrayOf(env_, kStateSlots, &data, &state_ref_);
  if (state.IsEmpty()) return Napi::Value();
  state_ = static_cast<int32_t*>(data);
  Napi::Value fd_state = TypedArrayOf(env_, napi_uint8_array, kInitialFdState, 1, &data, &fd_state_ref_);
  if (fd_state.IsEmpty()) return Napi::Value();
  fd_state_ = static_cast<uint8_t*>(data);
  fd_state_capacity_ = kInitialFdState;
  if (napi_create_reference(env_, binding, 1, &receiver_) != napi_ok ||
      napi_create_reference(env_, dispatch, 1, &dispatch_) != napi_ok ||
      napi_async_init(env_, binding, Napi::String::New(env, "greenhub.Loop"), &async_context_) != napi_ok) {
    return Napi::Value();
  }

  // Last, so that a failure above leaves no handle to close.
  std::string error;
  backend_ = MakeBackend(backend_name, *this, &error);
  if (!backend_) {
    ThrowError(env, "ERR_GREENHUB_BACKEND", error.c_str());
    return Napi::Value();
  }

  binding.Set("backend", Napi::String::New(env, backend_->Name()));
  binding.Set("minPriority", Napi::Number::New(env, backend_->MinPriority()));
  binding.Set("maxPriority", Napi::Number::New(env, backend_->MaxPriority()));
  binding.Set("state", state);
  // JS reads the ring and the fd states here (Grow* replace them).
  binding.Set("ring", ring);
  binding.Set("fdState", fd_state);
  BindWatcher(binding, this);
  BindTimer(binding, this);
  BindIo(binding, this);
  BindSignal(binding, this);
  BindChild(binding, this);
  BindPeriodic(binding, this);
  BindStat(binding, this);
  BindPhase(binding, this);
  BindAsync(binding, this);
  BindFd(binding, this);
  return binding;
}

int32_t Loop::Adopt(std::unique_ptr<Watcher> watcher) {
  int32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<int32_t>(watchers_.size());
    watchers_.emplace_back();
  }
  watcher->set_id(id);
  watchers_[id] = std::move(watcher);
  live_watchers_++;
  if (static_cast<size_t>(id) >= fd_state_capacity_) GrowFdState(static_cast<size_t>(id) + 1);
  return id;
}

void Loop::GrowFdState(size_t needed) {
  // Called from JS (through Adopt): JS re-reads binding.fdState afterwards.
  size_t capacity = fd_state_capacity_;
  while (capacity < needed) capacity *= 2;
  void* data;
  napi_ref ref;
  Napi::Value array = TypedArrayOf(env_, napi_uint8_array, capacity, 1, &data, &ref);
  napi_value receiver;
  if (array.IsEmpty() || napi_get_reference_value(env_, receiver_, &receiver) != napi_ok ||
      napi_set_named_property(env_, receiver, "fdState", array) != napi_ok) {
    return;
  }
  std::memcpy(data, fd_state_, fd_state_capacity_);
  napi_delete_reference(env_, fd_state_ref_);
  fd_state_ref_ = ref;
  fd_state_ = static_cast<uint8_t*>(data);
  fd_state_capacity_ = capacity;
}

Watcher* Loop::Get(int32_t id) const {
  if (id <= 0 || static_cast<size_t>(id) >= watchers_.size()) return nullptr;
  return watchers_[id].get();
}

void Loop::Release(Watcher* watcher) {
  int32_t id = watcher->id();
  watchers_[id].reset();
  free_ids_.push_back(id);
  live_watchers_--;
  MaybeFinishClose();
}

void Loop::Emit(int32_t id, int32_t revents) {
  if (closed_) return;
  size_t count = static_cast<size_t>(state_[0]);
  // The ring grows rather than flushing here: a flush would run JS inside a
  // backend callback that is walking its own watcher lists, which JS may
  // change. Out of memory, the event is lost rather than written out of
  // bounds.
  if (count == ring_capacity_ && !Grow()) return;
  ring_[count * 2] = id;
  ring_[count * 2 + 1] = revents;
  state_[0] = static_cast<int32_t>(count + 1);
  // The first event of a batch makes sure a flush comes even when it was
  // emitted after this iteration's last flush (timers run after check) and
  // nothing else keeps the loop alive.
  if (count == 0) backend_->Wake();
}

bool Loop::Grow() {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) return false;
  void* data;
  napi_ref ref;
  bool grown = false;
  Napi::Value ring = Int32ArrayOf(env_, ring_capacity_ * 4, &data, &ref);
  napi_value receiver;
  if (!ring.IsEmpty()) {
    if (napi_get_reference_value(env_, receiver_, &receiver) == napi_ok &&
        napi_set_named_property(env_, receiver, "ring", ring) == napi_ok) {
      std::memcpy(data, ring_, ring_capacity_ * 2 * sizeof(int32_t));
      napi_delete_reference(env_, ring_ref_);
      ring_ref_ = ref;
      ring_ = static_cast<int32_t*>(data);
      ring_capacity_ *= 2;
      grown = true;
    } else {
      napi_delete_reference(env_, ref);
    }
  }
  if (ring.IsEmpty()) {
    // Out of memory in JS: no exception may stay pending in a uv callback.
    napi_value exception;
    bool pending = false;
    if (napi_is_exception_pending(env_, &pending) == napi_ok && pending) {
      napi_get_and_clear_last_exception(env_, &exception);
    }
  }
  napi_close_handle_scope(env_, scope);
  return grown;
}

void Loop::Flush(bool force) {
  if (closed_ || flushing_ || (state_[0] == 0 && !force)) return;
  flushing_ = true;
  // This flush serves every request for one; JS asks again if it must.
  backend_->Unwake();
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) == napi_ok) {
    napi_value receiver;
    napi_value dispatch;
    napi_value result;
    // JS reads the events from the ring and the count from the state array.
    if (napi_get_reference_value(env_, receiver_, &receiver) == napi_ok &&
        napi_get_reference_value(env_, dispatch_, &dispatch) == napi_ok) {
      napi_status status = napi_make_callback(env_, async_context_, receiver, dispatch, 0, nullptr, &result);
      if (status != napi_ok) {
        // JS's dispatch catches callback errors itself; anything that still
        // escapes is reported as an uncaught exception, never left pending.
        bool pending = false;
        napi_value exception;
        if (napi_is_exception_pending(env_, &pending) == napi_ok && pending &&
            napi_get_and_clear_last_exception(env_, &exception) == napi_ok) {
          napi_fatal_exception(env_, exception);
        }
      }
    }
    napi_close_handle_scope(env_, scope);
  }
  // JS consumed the events: it resets the count itself before the
  // nextTicks and promises of this callback run, and keeps events emitted
  // while it ran for the next flush.
  flushing_ = false;
}

void Loop::Close(std::function<void()> done) {
  if (done) close_waiters_.push_back(std::move(done));
  if (closed_) {
    MaybeFinishClose();
    return;
  }
  closed_ = true;
  for (auto& watcher : watchers_) {
    if (watcher && !watcher->closing()) watcher->Close();
  }
  if (!backend_) {
    backend_closed_ = true;
    edge_poller_closed_ = true;
    MaybeFinishClose();
    return;
  }
  edge_poller_.Close([this]() {
    edge_poller_closed_ = true;
    MaybeFinishClose();
  });
  backend_->Close([this]() {
    backend_closed_ = true;
    MaybeFinishClose();
  });
}

void Loop::MaybeFinishClose() {
  if (!closed_ || !backend_closed_ || !edge_poller_closed_ || live_watchers_ != 0) return;
  if (!finished_) {
    finished_ = true;
    ReleaseReferences();
  }
  std::vector<std::function<void()>> waiters;
  waiters.swap(close_waiters_);
  for (auto& done : waiters) done();
}

// Functions shared by every watcher type.

Loop* LoopOf(const Napi::CallbackInfo& info) {
  Loop* loop = static_cast<Loop*>(info.Data());
  if (loop->closed()) {
    ThrowError(info.Env(), "ERR_LOOP_CLOSED", "the loop is closed");
    return nullptr;
  }
  return loop;
}

Watcher* WatcherArg(const Napi::CallbackInfo& info, Loop* loop, size_t i) {
  int32_t id;
  if (!ArgInt32(info, i, "id", &id)) return nullptr;
  Watcher* watcher = loop->Get(id);
  if (watcher == nullptr || watcher->closing()) {
    std::string message = "watcher " + std::to_string(id) + " is closed";
    ThrowError(info.Env(), "ERR_WATCHER_CLOSED", message.c_str());
    return nullptr;
  }
  return watcher;
}

void SetFunction(Napi::Object target, const char* name, Napi::Function::Callback callback, Loop* loop) {
  target.Set(name, Napi::Function::New(target.Env(), callback, name, loop));
}

Napi::Value NewWatcherId(Napi::Env env, Loop* loop, std::unique_ptr<Watcher> watcher) {
  return Napi::Number::New(env, loop->Adopt(std::move(watcher)));
}

namespace {

// start and stop run millions of times a second when timeouts churn: they
// are plain N-API callbacks, without node-addon-api's wrapper objects, and
// read their id with a single N-API call.

// The watcher named by the one argument, or nullptr with an error thrown.
Watcher* RawWatcherArg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value id_value;
  void* data;
  if (napi_get_cb_info(env, info, &argc, &id_value, nullptr, &data) != napi_ok) return nullptr;
  Loop* loop = static_cast<Loop*>(data);
  if (loop->closed()) {
    ThrowError(Napi::Env(env), "ERR_LOOP_CLOSED", "the loop is closed");
    return nullptr;
  }
  double id;
  if (argc < 1 || napi_get_value_double(env, id_value, &id) != napi_ok) {
    ThrowTypeError(Napi::Env(env), "ERR_INVALID_ARG_TYPE", "The \"id\" argument must be of type number");
    return nullptr;
  }
  Watcher* watcher = id >= 1 && id <= INT32_MAX && id == static_cast<int32_t>(id) ? loop->Get(static_cast<int32_t>(id)) : nullptr;
  if (watcher == nullptr || watcher->closing()) {
    std::string message = "watcher " + Napi::Number::New(Napi::Env(env), id).ToString().Utf8Value() + " is closed";
    ThrowError(Napi::Env(env), "ERR_WATCHER_CLOSED", message.c_str());
    return nullptr;
  }
  return watcher;
}

napi_value Start(napi_env env, napi_callback_info info) {
  Watcher* watcher = RawWatcherArg(env, info);
  napi_value result = nullptr;
  if (watcher != nullptr) napi_create_int32(env, watcher->Start(), &result);
  return result;
}

napi_value Stop(napi_env env, napi_callback_info info) {
  Watcher* watcher = RawWatcherArg(env, info);
  if (watcher != nullptr) watcher->Stop();
  return nullptr;
}

void SetRawFunction(Napi::Object target, const char* name, napi_callback callback, Loop* loop) {
  napi_value fn;
  if (napi_create_function(target.Env(), name, NAPI_AUTO_LENGTH, callback, loop, &fn) == napi_ok) {
    target.Set(name, Napi::Value(target.Env(), fn));
  }
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  Watcher* watcher = WatcherArg(info, loop, 0);
  if (watcher != nullptr) watcher->Close();
  return Napi::Value();
}

Napi::Value SetRef(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  Watcher* watcher = WatcherArg(info, loop, 0);
  bool ref;
  if (watcher != nullptr && ArgBool(info, 1, "ref", &ref)) watcher->SetRef(ref);
  return Napi::Value();
}

Napi::Value SetPriority(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  Watcher* watcher = WatcherArg(info, loop, 0);
  int32_t priority;
  if (watcher == nullptr || !ArgInt32(info, 1, "priority", &priority)) return Napi::Value();
  if (watcher->active()) {
    ThrowError(info.Env(), "ERR_WATCHER_ACTIVE", "cannot set the priority of an active watcher");
    return Napi::Value();
  }
  if (priority < -2 || priority > 2) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The value of \"priority\" is out of range. It must be >= -2 and <= 2");
    return Napi::Value();
  }
  watcher->SetPriority(priority);
  return Napi::Value();
}

Napi::Value Now(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), loop->backend().Now());
}

Napi::Value UpdateNow(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop != nullptr) loop->backend().UpdateNow();
  return Napi::Value();
}

Napi::Value Wake(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop != nullptr) loop->backend().Wake();
  return Napi::Value();
}

Napi::Value CloseLoop(const Napi::CallbackInfo& info) {
  Loop* loop = static_cast<Loop*>(info.Data());
  if (!loop->closed()) loop->Close(nullptr);
  return Napi::Value();
}

}  // namespace

void BindWatcher(Napi::Object target, Loop* loop) {
  SetRawFunction(target, "start", Start, loop);
  SetRawFunction(target, "stop", Stop, loop);
  SetFunction(target, "close", Close, loop);
  SetFunction(target, "setRef", SetRef, loop);
  SetFunction(target, "setPriority", SetPriority, loop);
  SetFunction(target, "now", Now, loop);
  SetFunction(target, "updateNow", UpdateNow, loop);
  SetFunction(target, "wake", Wake, loop);
  SetFunction(target, "closeLoop", CloseLoop, loop);
}

}  // namespace greenhub
