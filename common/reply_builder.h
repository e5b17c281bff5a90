#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

// Builds RESP2 or RESP3 replies into a byte buffer. Every reply Ember sends goes through here, so
// the protocol differences (null, map, set, double, push, verbatim) live in one place.
class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void SetResp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }

  void SimpleString(std::string_view s);
  void Ok() { out_->append("+OK\r\n"); }
  // `msg` is "-CODE text" for errors with their own code, or plain text that gets "-ERR ".
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // Nil bulk string: "$-1" in RESP2, "_" in RESP3.
  void Null();
  // Nil array: "*-1" in RESP2, "_" in RESP3.
  void NullArray();
  void ArrayHeader(size_t n);
  // A map of `n` pairs: "%n" in RESP3, a flat array of 2n in RESP2.
  void MapHeader(size_t n);
  // "~n" in RESP3, an array in RESP2.
  void SetHeader(size_t n);
  // ">n" in RESP3 (out-of-band push), an array in RESP2.
  void PushHeader(size_t n);
  // "," in RESP3, a bulk string in RESP2.
  void Double(double v);
  // "=len\r\ntxt:..." in RESP3, a bulk string in RESP2 (INFO, CLIENT LIST ...).
  void Verbatim(std::string_view s);

  // Bytes already encoded elsewhere (a pub/sub message built once for many subscribers).
  void Raw(std::string_view bytes) { out_->append(bytes); }

  // Bytes already written; callers use it to undo a partial reply.
  size_t size() const { return out_->size(); }
  std::string& buffer() { return *out_; }

 private:
  void Header(char type, size_t n);
  std::string* out_;
  bool resp3_ = false;
};

}  // namespace ember
