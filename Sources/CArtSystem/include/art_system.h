// Linux flags that Swift's Glibc module does not import (they need
// _GNU_SOURCE), exposed as functions.
#ifndef ART_SYSTEM_H
#define ART_SYSTEM_H

/// The O_DIRECT open flag, or 0 where the platform has none.
int art_o_direct(void);

/// The O_TMPFILE open flag, or 0 where the platform has none.
int art_o_tmpfile(void);

#endif
