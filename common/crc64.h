#pragma once

#include <cstdint>
#include <string_view>

namespace ember {

// CRC-64/Jones as Redis computes it for DUMP payloads and RDB files: reflected, polynomial
// 0xad93d23594c935a9, initial value 0, no final xor. Crc64("123456789") = 0xe9c6d914c4b8d9ca.
//
// Incremental: Crc64(Crc64(0, a), b) == Crc64(0, a + b), so a file can be checksummed in the
// chunks it is written or read in.
uint64_t Crc64(uint64_t crc, std::string_view data);

inline uint64_t Crc64(std::string_view data) { return Crc64(0, data); }

}  // namespace ember
