#include "art_hash.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

int art_sha256_hardware(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & bit_SHA) != 0;
}

#define ART_SHA __attribute__((target("sha,sse4.1,ssse3")))

// The SHA instructions keep the state as ABEF and CDGH.
ART_SHA static inline void load_state(const uint32_t state[8], __m128i *abef, __m128i *cdgh) {
  __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  *abef = _mm_alignr_epi8(cdab, efgh, 8);
  *cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
}

ART_SHA static inline void store_state(uint32_t state[8], __m128i abef, __m128i cdgh) {
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

// Big-endian message words.
#define ART_BSWAP_MASK _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL)

// Rounds 4i..4i+3 of one stream: `w` holds message words 4k..4k+3 for the
// groups k in i-1..i+2 (w[i & 3] is this group's), extended in place.
#define ART_GROUP(i, w, abef, cdgh)                                                      \
  do {                                                                                   \
    __m128i current = w[(i) & 3];                                                        \
    __m128i message = _mm_add_epi32(current, _mm_loadu_si128((const __m128i *)&round_constants[4 * (i)])); \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, message);                                   \
    if ((i) >= 3 && (i) <= 14)                                                           \
      w[((i) + 1) & 3] = _mm_sha256msg2_epu32(                                           \
          _mm_add_epi32(w[((i) + 1) & 3], _mm_alignr_epi8(current, w[((i) + 3) & 3], 4)), current); \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(message, 0x0E));          \
    if ((i) >= 1 && (i) <= 12) w[((i) + 3) & 3] = _mm_sha256msg1_epu32(w[((i) + 3) & 3], current); \
  } while (0)

ART_SHA void art_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
  __m128i abef, cdgh;
  load_state(state, &abef, &cdgh);
  const __m128i mask = ART_BSWAP_MASK;
  for (size_t block = 0; block < blocks; block++, data += 64) {
    __m128i saved_abef = abef, saved_cdgh = cdgh, w[4];
    for (int k = 0; k < 4; k++) w[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * k)), mask);
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) ART_GROUP(i, w, abef, cdgh);
    abef = _mm_add_epi32(abef, saved_abef);
    cdgh = _mm_add_epi32(cdgh, saved_cdgh);
  }
  store_state(state, abef, cdgh);
}

ART_SHA void art_sha256_blocks2(
    uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b,
    size_t blocks) {
  __m128i abef_a, cdgh_a, abef_b, cdgh_b;
  load_state(state_a, &abef_a, &cdgh_a);
  load_state(state_b, &abef_b, &cdgh_b);
  const __m128i mask = ART_BSWAP_MASK;
  for (size_t block = 0; block < blocks; block++, data_a += 64, data_b += 64) {
    __m128i saved_abef_a = abef_a, saved_cdgh_a = cdgh_a, w[4];
    __m128i saved_abef_b = abef_b, saved_cdgh_b = cdgh_b, v[4];
    for (int k = 0; k < 4; k++) {
      w[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data_a + 16 * k)), mask);
      v[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data_b + 16 * k)), mask);
    }
    // The two streams' groups alternate so each waits on the other's
    // latency, not on its own.
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) {
      ART_GROUP(i, w, abef_a, cdgh_a);
      ART_GROUP(i, v, abef_b, cdgh_b);
    }
    abef_a = _mm_add_epi32(abef_a, saved_abef_a);
    cdgh_a = _mm_add_epi32(cdgh_a, saved_cdgh_a);
    abef_b = _mm_add_epi32(abef_b, saved_abef_b);
    cdgh_b = _mm_add_epi32(cdgh_b, saved_cdgh_b);
  }
  store_state(state_a, abef_a, cdgh_a);
  store_state(state_b, abef_b, cdgh_b);
}

#else

int art_sha256_hardware(void) { return 0; }

void art_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
  (void)state, (void)data, (void)blocks;
  __builtin_trap();
}

void art_sha256_blocks2(
    uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b,
    size_t blocks) {
  (void)state_a, (void)data_a, (void)state_b, (void)data_b, (void)blocks;
  __builtin_trap();
}

#endif
