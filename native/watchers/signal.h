// signal: fires when the process receives a signal. Built on libuv's signal
// handles on every backend, so several watchers (and Node's own
// process.on('SIGxxx') listeners) share a signal without stealing it.
#ifndef GREENHUB_WATCHERS_SIGNAL_H_
#define GREENHUB_WATCHERS_SIGNAL_H_

#include "../watcher.h"

namespace greenhub {

// Whether a watcher may take `signum`; otherwise `why` says what is wrong.
bool WatchableSignal(int signum, const char** why);

class SignalWatcher : public Watcher {
 public:
  SignalWatcher(Loop& loop, int signum);
  int signum() const { return signum_; }

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  int signum_;
  int init_error_;
  uv_signal_t handle_;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_SIGNAL_H_
