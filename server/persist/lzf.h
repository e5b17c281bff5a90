#pragma once

#include <cstddef>
#include <string_view>

namespace ember {

// LZF, the compression Redis applies to long strings in RDB files (liblzf's stream format,
// written here from the format: no code shared with liblzf).
//
// A stream is a sequence of instructions, each starting with a control byte c:
//   c < 32      a literal run: the next c + 1 bytes are copied to the output;
//   c >= 32     a back reference: length L = c >> 5 (when L == 7 the next byte is added to it),
//               then the low 8 bits of the distance; the reference copies L + 2 bytes starting
//               ((c & 31) << 8 | low) + 1 bytes back in the output (copies may overlap).
// So one reference reaches 8 KB back and copies 3 to 264 bytes.

// Compresses `in` into out[0, out_cap). Returns the compressed size, or 0 when the result would
// not fit in out_cap (the caller then stores the data uncompressed) or `in` is empty.
size_t LzfCompress(std::string_view in, char* out, size_t out_cap);

// Decompresses `in` into out[0, out_len). True only when `in` is a well-formed stream that
// produces exactly out_len bytes; never reads or writes outside the two buffers.
bool LzfDecompress(std::string_view in, char* out, size_t out_len);

// The most output a stream of `in_len` bytes can produce (a 3-byte reference yields 264 bytes),
// to reject absurd announced lengths before allocating for them.
constexpr size_t LzfMaxExpansion(size_t in_len) { return in_len * 88 + 32; }

}  // namespace ember
