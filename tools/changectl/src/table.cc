#include "changeledger/changectl/table.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "changeledger/text/utf8.h"

namespace changeledger::changectl {

size_t DisplayWidth(absl::string_view text) { return ::changeledger::text::CountCodePoints(text); }

namespace {

// One line of text a terminal shows as it is: line breaks and tabs become
// spaces, and every other control character (C0, DEL, and C1, which UTF-8
// writes as 0xC2 0x80-0x9F) is shown escaped, so that text stored by any
// service (a title, a rationale) cannot move the cursor, recolour or retitle
// the reader's terminal.
std::string Clean(const std::string& cell) {
  std::string out;
  out.reserve(cell.size());
  for (size_t i = 0; i < cell.size(); ++i) {
    const auto c = static_cast<unsigned char>(cell[i]);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7F) {
      out += absl::StrFormat("\\x%02x", c);
    } else if (c == 0xC2 && i + 1 < cell.size() &&
               static_cast<unsigned char>(cell[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(cell[i + 1]) <= 0x9F) {
      out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(cell[++i]));
    } else {
      out += cell[i];
    }
  }
  return out;
}

void RenderLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                const std::vector<bool>& right, std::string* out) {
  std::string line;
  for (size_t i = 0; i < widths.size(); ++i) {
    const std::string& cell = i < cells.size() ? cells[i] : std::string();
    const size_t pad = widths[i] - DisplayWidth(cell);
    if (i > 0) line += "  ";
    if (right[i]) {
      line.append(pad, ' ');
      line += cell;
    } else {
      line += cell;
      line.append(pad, ' ');
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  *out += line;
  *out += '\n';
}

}  // namespace

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::AlignRight(size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = Clean(cell);
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  RenderLine(headers_, widths, right_, &out);
  for (const auto& row : rows_) RenderLine(row, widths, right_, &out);
  return out;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string line = key + ":";
    line.append(width - DisplayWidth(key) - 1 + 2, ' ');
    line += Clean(value);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace changeledger::changectl
