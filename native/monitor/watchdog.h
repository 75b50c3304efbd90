// The blocking monitor's watchdog: a native thread that notices when this JS
// thread's event loop has stopped turning (gevent's monitor thread). It
// never touches JS: it reads counters the loop thread moves, and when none
// moved for the threshold it records the block, asks V8 for the JS stack at
// the next interrupt check, and wakes an async watcher so that JS reports it
// once the loop runs again.
//
// "Turning" means any of: a greenlet switch (JS bumps a shared counter), an
// iteration of libuv's loop (a uv_check handle bumps an atomic), or time
// spent waiting in the kernel's poll (uv_metrics_idle_time, which libuv
// documents as thread safe). Nothing is locked on the loop thread's path.
#ifndef GREENHUB_MONITOR_WATCHDOG_H_
#define GREENHUB_MONITOR_WATCHDOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "../common.h"

namespace v8 {
class Isolate;
}

namespace greenhub {

// Slots of the Int32Array the watchdog shares with JS.
enum WatchSlot {
  kWatchSwitches = 0,  // JS bumps it at every greenlet switch, in and out
  kWatchRunning = 1,   // JS: the running greenlet's minimal ident, 0 in the hub
  kWatchBlocked = 2,   // the watchdog: number of an unreported block, 0 when none
  kWatchCulprit = 3,   // the watchdog: kWatchRunning when it noticed the block
  kWatchSlots = 4,
};

class Watchdog {
 public:
  struct Options {
    uint64_t max_blocking_ns;
    // The async watcher JS listens on (AsyncWatcher::SendToken).
    double async_token;
    bool capture_stacks;
  };

  // A block as JS takes it.
  struct Block {
    int32_t culprit;
    double blocked_ms;
    std::string stack;
  };

  // Starts watching this thread's loop. On failure returns nullptr, leaves a
  // JS exception pending.
  static Watchdog* Start(napi_env env, const Options& options, Napi::Value* slots);

  // Stops and joins the thread at once; the object deletes itself when its
  // uv handle is closed, then calls `done` (may be empty).
  void Close(std::function<void()> done);

  // Takes the unreported block, if any (JS thread only).
  bool Take(Block* out);

 private:
  // What the shared stack capture needs; outlives the watchdog while a V8
  // interrupt that refers to it is pending.
  struct Shared {
    bool stopped = false;
    int32_t stack_seq = 0;
    std::string stack;
  };
  struct InterruptRequest {
    std::shared_ptr<Shared> shared;
    int32_t seq;
  };
  struct Sample {
    uint32_t turns;
    int32_t switches;
    uint64_t idle_ns;
    bool operator!=(const Sample& other) const {
      return turns != other.turns || switches != other.switches || idle_ns != other.idle_ns;
    }
  };

  Watchdog(napi_env env, uv_loop_t* loop, v8::Isolate* isolate, const Options& options);
  ~Watchdog();

  static void ThreadMain(void* arg);
  static void OnInterrupt(v8::Isolate* isolate, void* data);
  void Run();
  Sample Read() const;
  void Notice(uint64_t since, int32_t running);

  napi_env env_;
  uv_loop_t* loop_;
  v8::Isolate* isolate_;
  const Options options_;
  const uint64_t period_ns_;

  int32_t* slots_ = nullptr;
  napi_ref slots_ref_ = nullptr;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();

  uv_check_t check_;
  std::atomic<uint32_t> turns_{0};
  std::atomic<uint64_t> stall_start_{0};

  uv_thread_t thread_;
  uv_mutex_t mutex_;
  uv_cond_t cond_;
  bool mutex_ready_ = false;
  bool cond_ready_ = false;
  bool stopping_ = false;  // under mutex_
  int32_t next_seq_ = 1;   // the thread's
  std::function<void()> on_closed_;
};

// Where an environment keeps its watchdog (one per JS thread).
struct MonitorState {
  Watchdog* watchdog = nullptr;
};

// monitorStart, monitorStop and monitorTake on the addon's exports.
void BindMonitor(Napi::Object exports, MonitorState* state);

}  // namespace greenhub

#endif  // GREENHUB_MONITOR_WATCHDOG_H_
