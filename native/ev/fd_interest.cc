#include "fd_interest.h"

#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "watchers.h"

namespace greenhub {

FdInterest::~FdInterest() { CloseProbe(); }

void FdInterest::CloseProbe() {
  if (probe_epfd_ >= 0) close(probe_epfd_);
  probe_epfd_ = -1;
}

FdInterest::Entry* FdInterest::Find(int fd) const {
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size()) return nullptr;
  return entries_[fd].get();
}

FdInterest::Entry& FdInterest::Get(int fd) {
  if (static_cast<size_t>(fd) >= entries_.size()) entries_.resize(static_cast<size_t>(fd) + 1);
  if (!entries_[fd]) entries_[fd] = std::make_unique<Entry>();
  return *entries_[fd];
}

void FdInterest::MarkDirty(int fd, Entry& entry) {
  if (entry.dirty) return;
  entry.dirty = true;
  dirty_.push_back(fd);
}

void FdInterest::Add(EvIo* io, bool settings_changed) {
  Entry& entry = Get(io->fd());
  entry.watchers.push_back(io);
  if (settings_changed) entry.forced = true;
  MarkDirty(io->fd(), entry);
}

void FdInterest::Remove(EvIo* io) {
  Entry* entry = Find(io->fd());
  if (entry == nullptr) return;
  auto& list = entry->watchers;
  auto it = std::find(list.begin(), list.end(), io);
  if (it == list.end()) return;
  list.erase(it);
  MarkDirty(io->fd(), *entry);
}

int FdInterest::WantedMask(const Entry& entry) {
  int mask = 0;
  for (EvIo* io : entry.watchers) mask |= io->events();
  return mask;
}

bool FdInterest::NeedsReify(const Entry& entry) const {
  int want = WantedMask(entry);
  // Like libev's fd_reify(): epoll_ctl happens when the combined mask
  // changed or a watcher was given new settings.
  return want != entry.applied || (want != 0 && (entry.forced || !entry.classified));
}

bool FdInterest::ChangesPending() const {
  for (int fd : dirty_) {
    Entry* entry = Find(fd);
    if (entry != nullptr && NeedsReify(*entry)) return true;
  }
  return false;
}

void FdInterest::BeforeReify() {
  if (dirty_.empty()) return;
  std::vector<int> dirty;
  dirty.swap(dirty_);
  for (int fd : dirty) {
    Entry* entry = Find(fd);
    if (entry == nullptr) continue;
    entry->dirty = false;
    int want = WantedMask(*entry);
    if (want == 0) {
      // Nobody watches the fd across this reify, so it may be closed and
      // its number reused: learn its kind again next time.
      entry->applied = 0;
      entry->forced = false;
      if (entry->always_ready) always_ready_.erase(std::remove(always_ready_.begin(), always_ready_.end(), fd), always_ready_.end());
      entry->classified = false;
      entry->always_ready = false;
      continue;
    }
    if (want != entry->applied || entry->forced || !entry->classified) {
      struct stat st;
      if (fstat(fd, &st) != 0) {
        // Closed while watched: libev's epoll_ctl would get EBADF and
        // assert. The watchers stop here, with the ERROR bit.
        Fail(*entry);
        continue;
      }
      if (!entry->classified) {
        entry->classified = true;
        entry->always_ready = !S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode) && EpollRefuses(fd);
        if (entry->always_ready) always_ready_.push_back(fd);
      }
    }
    entry->applied = want;
    entry->forced = false;
  }
}

bool FdInterest::EpollRefuses(int fd) {
  if (probe_epfd_ < 0) {
    probe_epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (probe_epfd_ < 0) return false;
  }
  struct epoll_event event = {};
  event.events = EPOLLIN;
  if (epoll_ctl(probe_epfd_, EPOLL_CTL_ADD, fd, &event) == 0) {
    epoll_ctl(probe_epfd_, EPOLL_CTL_DEL, fd, &event);
    return false;
  }
  return errno == EPERM;
}

void FdInterest::Fail(Entry& entry) {
  std::vector<EvIo*> watchers = entry.watchers;
  for (EvIo* io : watchers) io->Detach();
  for (EvIo* io : watchers) io->Fail();
}

void FdInterest::FailAll() {
  for (auto& entry : entries_) {
    if (entry && !entry->watchers.empty()) Fail(*entry);
  }
}

bool FdInterest::AlwaysReadyWatched() const {
  for (int fd : always_ready_) {
    Entry* entry = Find(fd);
    if (entry != nullptr && !entry->watchers.empty()) return true;
  }
  return false;
}

}  // namespace greenhub
