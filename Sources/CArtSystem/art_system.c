#define _GNU_SOURCE
#include <fcntl.h>
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
