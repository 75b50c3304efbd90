// async: wakes the loop from any thread; sends coalesce (libev's ev_async).
#ifndef GREENHUB_WATCHERS_ASYNC_H_
#define GREENHUB_WATCHERS_ASYNC_H_

#include "../watcher.h"

namespace greenhub {

class AsyncWatcher : public Watcher {
 public:
  explicit AsyncWatcher(Loop& loop) : Watcher(loop, Kind::kAsync) {}
  ~AsyncWatcher() override;

  // Safe from any thread.
  virtual void Send() = 0;
  // A process-wide number any thread can pass to SendToken(); 0 once closed.
  double token();
  // Sends to the watcher a token names. Returns false when that watcher is
  // closed or the token was never issued.
  static bool SendToken(double token);

 protected:
  // Call first in DoClose(): afterwards no thread can reach this watcher.
  void Unregister();

 private:
  double token_ = 0;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_ASYNC_H_
