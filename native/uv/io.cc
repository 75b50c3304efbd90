#include <fcntl.h>

#include <cerrno>

#include "watchers.h"

namespace greenhub {

int UvIo::DoStart() {
  if (fcntl(fd_, F_GETFD) == -1) return -errno;
  return poller_.Attach(this);
}

void UvIo::DoStop() { poller_.Detach(this); }

void UvIo::DoRef(bool ref) {
  if (active()) poller_.Ref(ref);
}

void UvIo::DoClose() { Closed(); }

}  // namespace greenhub
