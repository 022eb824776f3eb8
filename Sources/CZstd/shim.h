#include <zstd.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
