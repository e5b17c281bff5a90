#include "server/db/entry_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ember {
namespace {

class EntryTableTest : public ::testing::Test {
 protected:
  ~EntryTableTest() override {
    table_.ForEach([](Entry* e) { Entry::Free(e); });
  }
  void Add(const std::string& key) {
    table_.Insert(Entry::NewString(key, "v", false), HashKey(key));
  }
  bool Remove(const std::string& key) {
    Entry* e = table_.Erase(key, HashKey(key));
    if (e) Entry::Free(e);
    return e != nullptr;
  }
  EntryTable table_;
};

TEST_F(EntryTableTest, InsertFindEraseThroughResizes) {
  for (int i = 0; i < 5000; ++i) Add("key:" + std::to_string(i));
  EXPECT_EQ(table_.size(), 5000u);
  for (int i = 0; i < 5000; i += 2) EXPECT_TRUE(Remove("key:" + std::to_string(i)));
  for (int i = 0; i < 5000; ++i) {
    std::string k = "key:" + std::to_string(i);
    EXPECT_EQ(table_.Find(k, HashKey(k)) != nullptr, i % 2 == 1) << k;
  }
  EXPECT_FALSE(Remove("absent"));
}

TEST_F(EntryTableTest, ScanReturnsEveryKeyPresentThroughoutDespiteResizes) {
  for (int i = 0; i < 1000; ++i) Add("stable:" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = table_.ScanBucket(cursor, [&](Entry* e) { seen.emplace(e->key()); });
    // Grow and shrink the table while the scan is under way.
    if (step == 50) {
      for (int i = 0; i < 4000; ++i) Add("churn:" + std::to_string(i));
    }
    if (step == 900) {
      for (int i = 0; i < 4000; ++i) Remove("churn:" + std::to_string(i));
      table_.MaybeShrink();
    }
    ++step;
  } while (cursor != 0 && step < 1'000'000);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("stable:" + std::to_string(i))) << i;
}

TEST_F(EntryTableTest, ResizeMovesEntriesIncrementally) {
  int n = 0;
  while (!table_.rehashing() && n < 100000) Add("k" + std::to_string(n++));
  ASSERT_TRUE(table_.rehashing());  // the insert that crossed 3/4 load did not move everything
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(i);
    EXPECT_NE(table_.Find(k, HashKey(k)), nullptr) << k;
  }
  table_.RehashStep(SIZE_MAX);
  EXPECT_FALSE(table_.rehashing());
  EXPECT_EQ(table_.size(), size_t(n));
}

TEST(EntryTest, LayoutRoundTrips) {
  Entry* e = Entry::NewString("key", "12345", true);
  EXPECT_TRUE(e->is_int());
  EXPECT_EQ(e->int_value(), 12345);
  EXPECT_EQ(e->key(), "key");
  EXPECT_FALSE(e->has_expire());
  e->SetExpireMs(42);
  EXPECT_TRUE(e->has_expire());
  EXPECT_EQ(e->expire_ms(), 42);
  Entry* copy = Entry::CloneWithKey(e, "other", false);
  EXPECT_EQ(copy->key(), "other");
  EXPECT_EQ(copy->StringValue(), "12345");
  EXPECT_FALSE(copy->has_expire_slot());
  Entry::Free(e);
  Entry::Free(copy);
  Entry* big = Entry::NewString(std::string(300, 'k'), std::string(1000, 'v'), false);
  EXPECT_EQ(big->key().size(), 300u);
  EXPECT_EQ(big->raw_value().size(), 1000u);
  EXPECT_EQ(big->str_encoding(), Entry::StrEnc::kRaw);
  Entry::Free(big);
}

}  // namespace
}  // namespace ember
