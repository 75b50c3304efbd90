// child: fires when a child process exits (and, with `trace`, when it stops
// or continues). Built on a pidfd where the kernel has one, else on SIGCHLD;
// the status is read with waitid(WNOWAIT), so a process that Node's
// child_process started still reaches Node: the watcher never steals an
// exit status unless asked to reap. Used on every backend.
#ifndef GREENHUB_WATCHERS_CHILD_H_
#define GREENHUB_WATCHERS_CHILD_H_

#include <sys/types.h>
#include <sys/wait.h>

#include "../watcher.h"

namespace greenhub {

// The raw wait status (as waitpid reports it) for a waitid result.
int WaitStatusOf(const siginfo_t& info);

class ChildWatcher : public Watcher {
 public:
  ChildWatcher(Loop& loop, pid_t pid, bool trace, bool reap);

  pid_t pid() const { return pid_; }
  pid_t rpid() const { return rpid_; }
  // -1 when the exit was seen but another waiter took the status first.
  int rstatus() const { return rstatus_; }

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  void CheckExit();
  void CheckStopOrContinue();
  void StopHandles();
  void ForEachHandle(void (*fn)(uv_handle_t*));
  static void OnHandleClosed(uv_handle_t* handle);

  pid_t pid_;
  bool trace_;
  bool reap_;
  pid_t rpid_ = 0;
  int rstatus_ = 0;
  int pidfd_ = -1;
  // Handles in use: poll on the pidfd; SIGCHLD for trace or without pidfd;
  // a zero timer to look once right after start in SIGCHLD mode.
  bool poll_init_ = false;
  bool signal_init_ = false;
  bool timer_init_ = false;
  int open_handles_ = 0;
  uv_poll_t poll_;
  uv_signal_t sigchld_;
  uv_timer_t first_look_;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_CHILD_H_
