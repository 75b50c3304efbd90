// The one interface every event-loop backend implements. A backend builds
// the watchers that need its loop (io, timer, periodic, stat, idle, prepare,
// check, async) and drives the Loop's flushes: it calls Loop::Flush() once
// after polling and once before polling, and whenever JS asked for a turn
// (Wake). Signal and child watchers are built on libuv by every backend (see
// watchers/signal.h and watchers/child.h): a second signal or SIGCHLD owner
// would steal Node's.
#ifndef GREENHUB_BACKEND_H_
#define GREENHUB_BACKEND_H_

#include <functional>
#include <memory>
#include <string>

#include "common.h"
#include "watchers/async.h"
#include "watchers/fd.h"
#include "watchers/io.h"
#include "watchers/periodic.h"
#include "watchers/phase.h"
#include "watchers/stat.h"
#include "watchers/timer.h"

namespace greenhub {

class Loop;

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const char* Name() const = 0;
  // The loop's cached monotonic time in seconds, and its refresh.
  virtual double Now() const = 0;
  virtual void UpdateNow() = 0;
  // Priorities the backend honours natively; JS orders the rest.
  virtual int MinPriority() const { return 0; }
  virtual int MaxPriority() const { return 0; }

  virtual std::unique_ptr<TimerWatcher> NewTimer(Loop& loop, double after, double repeat) = 0;
  virtual std::unique_ptr<IoWatcher> NewIo(Loop& loop, int fd, int events) = 0;
  virtual std::unique_ptr<PeriodicWatcher> NewPeriodic(Loop& loop, double offset, double interval, bool manual) = 0;
  virtual std::unique_ptr<StatWatcher> NewStat(Loop& loop, std::string path, double interval) = 0;
  virtual std::unique_ptr<PhaseWatcher> NewPhase(Loop& loop, Kind kind) = 0;
  virtual std::unique_ptr<AsyncWatcher> NewAsync(Loop& loop) = 0;
  // The socket layer's fds. The default (watchers/fd.cc) registers them
  // edge-triggered in the loop's EdgePoller, which runs on libuv for any
  // backend; a backend may serve them from its own poller instead.
  virtual std::unique_ptr<FdWatcher> NewFd(Loop& loop, int fd);

  // Make the loop run a flush soon without blocking in poll; the request
  // keeps the process alive until served.
  virtual void Wake() = 0;
  // Withdraws a Wake() request; the flush that serves it calls this.
  virtual void Unwake() = 0;
  // Close the backend's own handles; `done` runs once all are closed.
  virtual void Close(std::function<void()> done) = 0;
};

// Backends this build knows: "uv" always, "ev" where libev was found.
// Returns nullptr and sets `error` when `name` cannot be built.
std::unique_ptr<Backend> MakeBackend(const std::string& name, Loop& loop, std::string* error);

}  // namespace greenhub

#endif  // GREENHUB_BACKEND_H_
