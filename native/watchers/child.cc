#include "child.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../binding.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace greenhub {

namespace {

// GREENHUB_NO_PIDFD=1 forces the SIGCHLD path, so tests cover it on kernels
// that have pidfds.
int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const char* off = getenv("GREENHUB_NO_PIDFD");
  if (off != nullptr && off[0] == '1') return -ENOSYS;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return fd >= 0 ? fd : -errno;
#else
  (void)pid;
  return -ENOSYS;
#endif
}

}  // namespace

int WaitStatusOf(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED: return (info.si_status & 0xff) << 8;
    case CLD_KILLED: return info.si_status & 0x7f;
    case CLD_DUMPED: return (info.si_status & 0x7f) | 0x80;
    case CLD_STOPPED:
    case CLD_TRAPPED: return ((info.si_status & 0xff) << 8) | 0x7f;
    case CLD_CONTINUED: return 0xffff;
    default: return 0;
  }
}

ChildWatcher::ChildWatcher(Loop& loop, pid_t pid, bool trace, bool reap)
    : Watcher(loop, Kind::kChild), pid_(pid), trace_(trace), reap_(reap) {
  poll_.data = this;
  sigchld_.data = this;
  first_look_.data = this;
}

int ChildWatcher::DoStart() {
  uv_loop_t* uv = loop().uv();
  if (pidfd_ < 0) {
    int fd = OpenPidfd(pid_);
    if (fd < 0 && fd != -ENOSYS) return fd;
    pidfd_ = fd;
  }
  if (pidfd_ >= 0) {
    if (!poll_init_) {
      int err = uv_poll_init(uv, &poll_, pidfd_);
      if (err != 0) return err;
      poll_init_ = true;
      open_handles_++;
    }
    int err = uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* handle, int, int) {
      static_cast<ChildWatcher*>(handle->data)->CheckExit();
    });
    if (err != 0) return err;
  }
  if (trace_ || pidfd_ < 0) {
    if (!signal_init_) {
      int err = uv_signal_init(uv, &sigchld_);
      if (err != 0) {
        StopHandles();
        return err;
      }
      signal_init_ = true;
      open_handles_++;
    }
    int err = uv_signal_start(
        &sigchld_,
        [](uv_signal_t* handle, int) {
          auto* self = static_cast<ChildWatcher*>(handle->data);
          if (self->trace_) self->CheckStopOrContinue();
          if (self->pidfd_ < 0 && self->active()) self->CheckExit();
        },
        SIGCHLD);
    if (err != 0) {
      StopHandles();
      return err;
    }
  }
  if (pidfd_ < 0) {
    // SIGCHLD may have come before the start: look once on the next turn.
    if (!timer_init_) {
      int err = uv_timer_init(uv, &first_look_);
      if (err != 0) {
        StopHandles();
        return err;
      }
      timer_init_ = true;
      open_handles_++;
    }
    int err = uv_timer_start(
        &first_look_, [](uv_timer_t* handle) { static_cast<ChildWatcher*>(handle->data)->CheckExit(); }, 0, 0);
    if (err != 0) {
      StopHandles();
      return err;
    }
  }
  DoRef(ref());
  return 0;
}

void ChildWatcher::CheckExit() {
  if (!active()) return;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  int options = WEXITED | WNOHANG | (reap_ ? 0 : WNOWAIT);
  int result = pidfd_ >= 0 ? waitid(static_cast<idtype_t>(P_PIDFD), pidfd_, &info, options) : -1;
  if (pidfd_ < 0 || (result == -1 && errno == EINVAL)) {
    // No pidfd, or a kernel without P_PIDFD: the pid is still ours to name,
    // since an unreaped child keeps its pid.
    result = waitid(P_PID, pid_, &info, options);
  }
  if (result == 0 && info.si_pid == 0) return;  // still running
  if (result == 0) {
    rpid_ = info.si_pid;
    rstatus_ = WaitStatusOf(info);
  } else {
    // The process is gone and another waiter (on another thread's loop)
    // reaped it before this one could look.
    rpid_ = pid_;
    rstatus_ = -1;
  }
  StopHandles();
  EmitAndStop(kChild);
}

void ChildWatcher::CheckStopOrContinue() {
  if (!active()) return;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  // Without WEXITED: an exit stays for CheckExit and for Node.
  if (waitid(P_PID, pid_, &info, WSTOPPED | WCONTINUED | WNOHANG) == 0 && info.si_pid != 0) {
    rpid_ = info.si_pid;
    rstatus_ = WaitStatusOf(info);
    Emit(kChild);
  }
}

void ChildWatcher::StopHandles() {
  if (poll_init_) uv_poll_stop(&poll_);
  if (signal_init_) uv_signal_stop(&sigchld_);
  if (timer_init_) uv_timer_stop(&first_look_);
}

void ChildWatcher::DoStop() { StopHandles(); }

void ChildWatcher::ForEachHandle(void (*fn)(uv_handle_t*)) {
  if (poll_init_) fn(reinterpret_cast<uv_handle_t*>(&poll_));
  if (signal_init_) fn(reinterpret_cast<uv_handle_t*>(&sigchld_));
  if (timer_init_) fn(reinterpret_cast<uv_handle_t*>(&first_look_));
}

void ChildWatcher::DoRef(bool ref) { ForEachHandle(ref ? uv_ref : uv_unref); }

void ChildWatcher::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<ChildWatcher*>(handle->data);
  if (--self->open_handles_ == 0) {
    if (self->pidfd_ >= 0) (void)close(self->pidfd_);  // nothing to do about a failing close
    self->Closed();
  }
}

void ChildWatcher::DoClose() {
  if (open_handles_ == 0) {
    if (pidfd_ >= 0) (void)close(pidfd_);
    Closed();
    return;
  }
  ForEachHandle([](uv_handle_t* handle) { uv_close(handle, OnHandleClosed); });
}

namespace {

Napi::Value ChildInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  int32_t pid;
  bool trace;
  bool reap;
  if (loop == nullptr || !ArgInt32(info, 0, "pid", &pid) || !ArgBool(info, 1, "trace", &trace) ||
      !ArgBool(info, 2, "reap", &reap)) {
    return Napi::Value();
  }
  if (pid <= 0) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The value of \"pid\" is out of range. It must be > 0");
    return Napi::Value();
  }
  siginfo_t probe;
  std::memset(&probe, 0, sizeof probe);
  if (waitid(P_PID, pid, &probe, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) != 0) {
    int err = -errno;
    Napi::Error error = SystemError(info.Env(), err, "waitid");
    if (err == -ECHILD) {
      error.Set("message", Napi::String::New(info.Env(), "ECHILD: process " + std::to_string(pid) +
                                                             " is not an unreaped child of this process, waitid"));
    }
    error.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  return NewWatcherId(info.Env(), loop, std::make_unique<ChildWatcher>(*loop, pid, trace, reap));
}

Napi::Value ChildStatus(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* child = WatcherArg<ChildWatcher>(info, loop, 0, Kind::kChild);
  if (child == nullptr) return Napi::Value();
  Napi::Array status = Napi::Array::New(info.Env(), 2);
  status.Set(0u, Napi::Number::New(info.Env(), child->rpid()));
  status.Set(1u, Napi::Number::New(info.Env(), child->rstatus()));
  return status;
}

}  // namespace

void BindChild(Napi::Object target, Loop* loop) {
  SetFunction(target, "childInit", ChildInit, loop);
  SetFunction(target, "childStatus", ChildStatus, loop);
}

}  // namespace greenhub
