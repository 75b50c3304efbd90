#include "watchdog.h"

#include <v8.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../errors.h"
#include "../watchers/async.h"

namespace greenhub {

namespace {

constexpr uint64_t kMinPeriodNs = 1000000;  // 1 ms
constexpr int kMaxStackFrames = 16;

// The loop thread writes these slots with plain stores (JS typed arrays);
// aligned 32-bit accesses do not tear, and the watchdog only needs to see
// that a value changed, not when.
int32_t LoadSlot(const int32_t* slots, WatchSlot slot) { return __atomic_load_n(&slots[slot], __ATOMIC_RELAXED); }

std::string FormatFrame(v8::Isolate* isolate, v8::Local<v8::StackFrame> frame) {
  v8::String::Utf8Value function(isolate, frame->GetFunctionName());
  v8::String::Utf8Value script(isolate, frame->GetScriptNameOrSourceURL());
  std::string location = (*script != nullptr && script.length() > 0) ? *script : "<anonymous>";
  location += ":" + std::to_string(frame->GetLineNumber()) + ":" + std::to_string(frame->GetColumn());
  std::string line = "    at ";
  if (frame->IsConstructor()) line += "new ";
  if (*function != nullptr && function.length() > 0) {
    line += *function;
    line += " (" + location + ")";
  } else {
    line += location;
  }
  return line;
}

}  // namespace

Watchdog::Watchdog(napi_env env, uv_loop_t* loop, v8::Isolate* isolate, const Options& options)
    : env_(env),
      loop_(loop),
      isolate_(isolate),
      options_(options),
      period_ns_(std::max(kMinPeriodNs, options.max_blocking_ns / 4)) {}

Watchdog::~Watchdog() {
  if (cond_ready_) uv_cond_destroy(&cond_);
  if (mutex_ready_) uv_mutex_destroy(&mutex_);
}

Watchdog* Watchdog::Start(napi_env env, const Options& options, Napi::Value* slots_out) {
  Napi::Env napi_env(env);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    ThrowError(napi_env, "ERR_GREENHUB_LOOP", "cannot reach this thread's libuv loop");
    return nullptr;
  }
  // Node turns idle-time metrics on for its loops (eventLoopUtilization);
  // asking again is harmless and makes sure an idle loop never looks blocked.
  int err = uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
  if (err != 0) {
    ThrowSystemError(napi_env, err, "uv_loop_configure");
    return nullptr;
  }
  void* data;
  napi_value buffer;
  napi_value array;
  napi_ref ref;
  if (napi_create_arraybuffer(env, kWatchSlots * sizeof(int32_t), &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, kWatchSlots, buffer, 0, &array) != napi_ok ||
      napi_create_reference(env, array, 1, &ref) != napi_ok) {
    return nullptr;
  }
  auto* self = new Watchdog(env, loop, v8::Isolate::GetCurrent(), options);
  self->slots_ = static_cast<int32_t*>(data);
  for (int i = 0; i < kWatchSlots; i++) self->slots_[i] = 0;
  self->slots_ref_ = ref;

  const char* syscall = nullptr;
  if ((err = uv_mutex_init(&self->mutex_)) != 0) {
    syscall = "uv_mutex_init";
  } else {
    self->mutex_ready_ = true;
    if ((err = uv_cond_init(&self->cond_)) != 0) {
      syscall = "uv_cond_init";
    } else {
      self->cond_ready_ = true;
      if ((err = uv_check_init(loop, &self->check_)) != 0) syscall = "uv_check_init";
    }
  }
  if (syscall != nullptr) {
    // No handle is open yet: the object can go at once.
    napi_delete_reference(env, ref);
    delete self;
    ThrowSystemError(napi_env, err, syscall);
    return nullptr;
  }
  // From here on the check handle must be closed before the object goes.
  self->check_.data = self;
  auto fail = [&](const char* failed) -> Watchdog* {
    napi_delete_reference(env, ref);
    self->slots_ref_ = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&self->check_),
             [](uv_handle_t* handle) { delete static_cast<Watchdog*>(handle->data); });
    ThrowSystemError(napi_env, err, failed);
    return nullptr;
  };
  err = uv_check_start(&self->check_, [](uv_check_t* handle) {
    static_cast<Watchdog*>(handle->data)->turns_.fetch_add(1, std::memory_order_relaxed);
  });
  if (err != 0) return fail("uv_check_start");
  // The watchdog never keeps the process alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&self->check_));
  if ((err = uv_thread_create(&self->thread_, ThreadMain, self)) != 0) return fail("uv_thread_create");
  *slots_out = Napi::Value(env, array);
  return self;
}

void Watchdog::ThreadMain(void* arg) {
  try {
    static_cast<Watchdog*>(arg)->Run();
  } catch (...) {
    // Nothing here throws but allocation; a watchdog out of memory stops
    // watching rather than taking the process down from a foreign thread.
  }
}

Watchdog::Sample Watchdog::Read() const {
  return Sample{turns_.load(std::memory_order_relaxed), LoadSlot(slots_, kWatchSwitches), uv_metrics_idle_time(loop_)};
}

void Watchdog::Run() {
  uv_mutex_lock(&mutex_);
  Sample last = Read();
  uint64_t changed_at = uv_hrtime();
  bool reported = false;
  while (!stopping_) {
    // 0 (signalled, or spurious) or UV_ETIMEDOUT: either way, look again.
    uv_cond_timedwait(&cond_, &mutex_, period_ns_);
    if (stopping_) break;
    Sample now_sample = Read();
    uint64_t now = uv_hrtime();
    if (now_sample != last) {
      last = now_sample;
      changed_at = now;
      reported = false;
      continue;
    }
    if (reported || now - changed_at < options_.max_blocking_ns) continue;
    reported = true;
    Notice(changed_at, LoadSlot(slots_, kWatchRunning));
  }
  uv_mutex_unlock(&mutex_);
}

void Watchdog::Notice(uint64_t since, int32_t running) {
  int32_t seq = next_seq_;
  next_seq_ = next_seq_ == INT32_MAX ? 1 : next_seq_ + 1;
  stall_start_.store(since, std::memory_order_relaxed);
  __atomic_store_n(&slots_[kWatchCulprit], running, __ATOMIC_RELAXED);
  __atomic_store_n(&slots_[kWatchBlocked], seq, __ATOMIC_RELEASE);
  if (options_.capture_stacks) {
    // V8 runs the callback on the JS thread at its next interrupt check
    // (a loop back edge or a call), while the blocking code still runs.
    isolate_->RequestInterrupt(OnInterrupt, new InterruptRequest{shared_, seq});
  }
  // The report itself is JS's, once the loop turns again.
  AsyncWatcher::SendToken(options_.async_token);
}

void Watchdog::OnInterrupt(v8::Isolate* isolate, void* data) {
  std::unique_ptr<InterruptRequest> request(static_cast<InterruptRequest*>(data));
  Shared& shared = *request->shared;
  if (shared.stopped) return;
  try {
    // No JS may run here; reading the stack does not run any (Node's
    // diagnostic report does the same from an interrupt).
    v8::HandleScope scope(isolate);
    v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate, kMaxStackFrames);
    std::string text;
    for (int i = 0; i < trace->GetFrameCount(); i++) {
      if (i > 0) text += "\n";
      text += FormatFrame(isolate, trace->GetFrame(isolate, static_cast<uint32_t>(i)));
    }
    shared.stack = std::move(text);
    shared.stack_seq = request->seq;
  } catch (...) {
    // Out of memory while formatting: the report goes without a stack.
  }
}

bool Watchdog::Take(Block* out) {
  // The lock keeps the thread from noticing a newer block between the reads.
  uv_mutex_lock(&mutex_);
  int32_t seq = __atomic_load_n(&slots_[kWatchBlocked], __ATOMIC_ACQUIRE);
  if (seq != 0) {
    out->culprit = __atomic_load_n(&slots_[kWatchCulprit], __ATOMIC_RELAXED);
    out->blocked_ms = static_cast<double>(uv_hrtime() - stall_start_.load(std::memory_order_relaxed)) / 1e6;
    out->stack = shared_->stack_seq == seq ? shared_->stack : std::string();
    __atomic_store_n(&slots_[kWatchBlocked], 0, __ATOMIC_RELAXED);
  }
  uv_mutex_unlock(&mutex_);
  return seq != 0;
}

void Watchdog::Close(std::function<void()> done) {
  on_closed_ = std::move(done);
  uv_mutex_lock(&mutex_);
  stopping_ = true;
  uv_cond_signal(&cond_);
  uv_mutex_unlock(&mutex_);
  int err = uv_thread_join(&thread_);
  shared_->stopped = true;
  if (slots_ref_ != nullptr) napi_delete_reference(env_, slots_ref_);
  slots_ref_ = nullptr;
  if (err != 0) {
    // The thread may still run and read this object: leak it rather than
    // free memory under it. Only the handle is closed.
    std::fprintf(stderr, "greenhub: cannot join the monitor thread (%s); leaking it\n", uv_strerror(err));
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), [](uv_handle_t* handle) {
      auto* self = static_cast<Watchdog*>(handle->data);
      auto done = std::move(self->on_closed_);
      if (done) done();
    });
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), [](uv_handle_t* handle) {
    auto* self = static_cast<Watchdog*>(handle->data);
    auto done = std::move(self->on_closed_);
    delete self;
    if (done) done();
  });
}

namespace {

MonitorState* StateOf(const Napi::CallbackInfo& info) { return static_cast<MonitorState*>(info.Data()); }

// monitorStart(maxBlockingMs, asyncToken, captureStacks) -> Int32Array
Napi::Value MonitorStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MonitorState* state = StateOf(info);
  double max_ms;
  double token;
  bool capture;
  if (!ArgDouble(info, 0, "maxBlockingMs", &max_ms) || !ArgDouble(info, 1, "asyncToken", &token) ||
      !ArgBool(info, 2, "captureStacks", &capture)) {
    return Napi::Value();
  }
  if (!std::isfinite(max_ms) || max_ms < 1 || max_ms > 3.6e6) {
    ThrowRangeError(env, "ERR_OUT_OF_RANGE", "maxBlockingMs must be from 1 to 3600000");
    return Napi::Value();
  }
  if (state->watchdog != nullptr) {
    ThrowError(env, "ERR_MONITOR_RUNNING", "a monitor already watches this thread");
    return Napi::Value();
  }
  Watchdog::Options options{static_cast<uint64_t>(max_ms * 1e6), token, capture};
  Napi::Value slots;
  Watchdog* watchdog = Watchdog::Start(env, options, &slots);
  if (watchdog == nullptr) return Napi::Value();
  state->watchdog = watchdog;
  return slots;
}

Napi::Value MonitorStop(const Napi::CallbackInfo& info) {
  MonitorState* state = StateOf(info);
  Watchdog* watchdog = state->watchdog;
  state->watchdog = nullptr;
  if (watchdog != nullptr) watchdog->Close(nullptr);
  return Napi::Boolean::New(info.Env(), watchdog != nullptr);
}

// monitorTake() -> [culprit, blockedMs, stack] or null
Napi::Value MonitorTake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MonitorState* state = StateOf(info);
  Watchdog::Block block;
  if (state->watchdog == nullptr || !state->watchdog->Take(&block)) return env.Null();
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, block.culprit));
  result.Set(1u, Napi::Number::New(env, block.blocked_ms));
  result.Set(2u, Napi::String::New(env, block.stack));
  return result;
}

}  // namespace

void BindMonitor(Napi::Object exports, MonitorState* state) {
  Napi::Env env = exports.Env();
  exports.Set("monitorStart", Napi::Function::New(env, MonitorStart, "monitorStart", state));
  exports.Set("monitorStop", Napi::Function::New(env, MonitorStop, "monitorStop", state));
  exports.Set("monitorTake", Napi::Function::New(env, MonitorTake, "monitorTake", state));
}

}  // namespace greenhub
