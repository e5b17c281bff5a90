#include "server/types/dump.h"

#include <cstring>

#include "server/persist/rdb.h"

namespace ember {

std::string DumpValue(const Entry* e, bool compress) {
  RdbWriter w(compress, /*checksum=*/false);
  w.Value(e);
  std::string out = w.Take();
  uint16_t version = kRdbVersion;
  out.append(reinterpret_cast<const char*>(&version), 2);
  uint64_t crc = Crc64(out);
  out.append(reinterpret_cast<const char*>(&crc), 8);
  return out;
}

Entry* RestoreValue(std::string_view key, std::string_view payload, const RestoreLimits& limits,
                    std::string* error) {
  uint16_t version;
  uint64_t crc;
  if (payload.size() < 10 ||
      (memcpy(&version, payload.data() + payload.size() - 10, 2), version > kRdbVersion) ||
      (memcpy(&crc, payload.data() + payload.size() - 8, 8),
       crc != Crc64(payload.substr(0, payload.size() - 8)))) {
    *error = "DUMP payload version or checksum are wrong";
    return nullptr;
  }
  StringSource src(payload.substr(0, payload.size() - 10));
  RdbLoader loader(&src, limits);
  std::string why;
  Entry* e = loader.LoadValue(key, version, &why);
  if (e == nullptr) *error = "Bad data format";
  return e;
}

}  // namespace ember
