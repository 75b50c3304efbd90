// The base of every watcher: the verbs and flags that all types share.
// Watcher types derive from it (native/watchers/*.h) and each backend
// supplies the concrete classes that talk to its event loop.
#ifndef GREENHUB_WATCHER_H_
#define GREENHUB_WATCHER_H_

#include "common.h"

namespace greenhub {

class Loop;

class Watcher {
 public:
  Watcher(Loop& loop, Kind kind) : loop_(loop), kind_(kind) {}
  virtual ~Watcher() = default;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  Loop& loop() const { return loop_; }
  Kind kind() const { return kind_; }
  int32_t id() const { return id_; }
  void set_id(int32_t id) { id_ = id; }
  bool active() const { return active_; }
  bool ref() const { return ref_; }
  int priority() const { return priority_; }
  bool closing() const { return closing_; }

  // Returns 0 or a negative errno; starting an active watcher is a no-op.
  int Start();
  void Stop();
  void SetRef(bool ref);
  void SetPriority(int priority);
  // Stops the watcher and releases its resources; the loop frees the watcher
  // once the backend reports the release finished (see Closed()).
  void Close();

 protected:
  virtual int DoStart() = 0;
  virtual void DoStop() = 0;
  virtual void DoRef(bool ref) = 0;
  virtual void DoPriority(int /*priority*/) {}
  // Releases backend resources and eventually calls Closed(), possibly from
  // a later loop callback (uv_close is asynchronous).
  virtual void DoClose() = 0;

  // Queues an event for JS. Never call while JS is on the stack.
  void Emit(int32_t revents);
  // For watchers that stop themselves when they fire (one-shot timers,
  // exited children): marks the watcher inactive and tells JS so.
  void EmitAndStop(int32_t revents);
  // For verbs that start a watcher outside Start() (timer's again).
  void MarkActive() { active_ = true; }

 public:
  // The backend finished releasing this watcher's resources: the loop frees
  // it, so `this` is gone when Closed() returns.
  void Closed();

 private:
  Loop& loop_;
  Kind kind_;
  int32_t id_ = 0;
  bool active_ = false;
  bool ref_ = true;
  bool closing_ = false;
  int priority_ = 0;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHER_H_
