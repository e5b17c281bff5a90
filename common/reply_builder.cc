#include "common/reply_builder.h"

#include <charconv>

#include "common/strings.h"

namespace ember {

void ReplyBuilder::Header(char type, size_t n) {
  char buf[32];
  buf[0] = type;
  auto r = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->append(buf, size_t(r.ptr + 2 - buf));
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::Error(std::string_view msg) {
  // As Redis's addReplyError: a message that carries its own code starts with '-', any other
  // gets "-ERR ". Newlines become spaces so the reply stays one line.
  if (msg.empty() || msg[0] != '-') out_->append("-ERR ");
  size_t start = out_->size();
  out_->append(msg);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void ReplyBuilder::Integer(int64_t v) {
  char buf[32];
  buf[0] = ':';
  auto r = std::to_chars(buf + 1, buf + sizeof(buf) - 2, v);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->append(buf, size_t(r.ptr + 2 - buf));
}

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::Null() { out_->append(resp3_ ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::NullArray() { out_->append(resp3_ ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::ArrayHeader(size_t n) { Header('*', n); }

void ReplyBuilder::MapHeader(size_t n) { resp3_ ? Header('%', n) : Header('*', 2 * n); }

void ReplyBuilder::SetHeader(size_t n) { Header(resp3_ ? '~' : '*', n); }

void ReplyBuilder::PushHeader(size_t n) { Header(resp3_ ? '>' : '*', n); }

void ReplyBuilder::Double(double v) {
  std::string s = FormatDouble(v);
  if (resp3_) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::Verbatim(std::string_view s) {
  if (!resp3_) return Bulk(s);
  Header('=', s.size() + 4);
  out_->append("txt:");
  out_->append(s);
  out_->append("\r\n");
}

}  // namespace ember
