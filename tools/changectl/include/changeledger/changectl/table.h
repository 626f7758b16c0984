// Aligned plain-text tables for people.
//
//   Table t({"ID", "TIER", "COUNT"});
//   t.AlignRight(2);
//   t.AddRow({"a", "Mandated", "12"});
//   std::cout << t.Render();
//
// Columns are separated by two spaces; widths count UTF-8 code points, so
// "£" is one column wide. Lines carry no trailing spaces. Cells must not
// contain newlines (they are replaced by spaces).
#ifndef CHANGELEDGER_CHANGECTL_TABLE_H_
#define CHANGELEDGER_CHANGECTL_TABLE_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

namespace changeledger::changectl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Right-aligns column `column` (numbers). Out of range: ignored.
  void AlignRight(size_t column);
  // Adds a row; missing cells are empty, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The header line and every row, each ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "KEY:  value" lines for one resource, keys aligned.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// Number of UTF-8 code points in `text`.
size_t DisplayWidth(absl::string_view text);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_TABLE_H_
