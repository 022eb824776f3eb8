// Linux flags that Swift's Glibc module does not import (they need
// _GNU_SOURCE), exposed as functions.
#ifndef ART_SYSTEM_H
#define ART_SYSTEM_H

/// The O_DIRECT open flag, or 0 where the platform has none.
int art_o_direct(void);

/// The O_TMPFILE open flag, or 0 where the platform has none.
int art_o_tmpfile(void);

/// `openat2(dirfd, path, flags, mode)` with RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: fails with ELOOP when any
/// component is a symbolic link, EXDEV when the path leaves `dirfd`, and
/// ENOSYS where the kernel has no openat2. Returns the descriptor or -1 and
/// sets errno.
int art_openat_beneath(int dirfd, const char *path, int flags, unsigned int mode);

#endif
