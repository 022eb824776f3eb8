#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "art_system.h"

int art_o_direct(void) {
#ifdef O_DIRECT
  return O_DIRECT;
#else
  return 0;
#endif
}

int art_o_tmpfile(void) {
#ifdef O_TMPFILE
  return O_TMPFILE;
#else
  return 0;
#endif
}

int art_openat_beneath(int dirfd, const char *path, int flags, unsigned int mode) {
#if defined(__linux__) && defined(SYS_openat2)
  // struct open_how and the RESOLVE_ flags of <linux/openat2.h>, spelled out
  // so that older kernel headers build too.
  struct {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
  } how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned int)flags;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = 0x08 /* BENEATH */ | 0x04 /* NO_SYMLINKS */ | 0x02 /* NO_MAGICLINKS */;
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
  (void)dirfd; (void)path; (void)flags; (void)mode;
  errno = ENOSYS;
  return -1;
#endif
}
