// SHA-256 compression on the CPU's SHA extensions (x86-64 SHA-NI), one
// stream or two interleaved. Only the block function: padding and partial
// blocks are the caller's (ArtStore's PairedSHA256).
#ifndef ART_HASH_H
#define ART_HASH_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA, SSSE3 and SSE4.1 instructions the block
/// functions need, else 0 (and they must not be called).
int art_sha256_hardware(void);

/// Runs SHA-256's compression function over `blocks` 64-byte blocks at
/// `data`, updating the eight state words `state` (H0..H7).
void art_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Two independent streams at once: `blocks` blocks at `data_a` into
/// `state_a`, and as many at `data_b` into `state_b`. A round's
/// instruction waits on the one before, so one stream leaves the unit idle
/// half the time; two interleaved fill it.
void art_sha256_blocks2(
    uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b,
    size_t blocks);

#endif
