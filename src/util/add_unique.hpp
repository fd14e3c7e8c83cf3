// Appends a name to a list unless it is already there (small lists of env
// var names or hosts, kept in first-seen order).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace sr::util {

inline void add_unique(std::vector<std::string>& list, std::string value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

}  // namespace sr::util
