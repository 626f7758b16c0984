#include "domain/attributes.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace changeledger::intake::domain {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::MessageDifferencer;

// True when `a` and `b` hold the same value in `field`.
bool FieldEquals(const Message& a, const Message& b, const FieldDescriptor* field) {
  std::unique_ptr<Message> only_a(a.New());
  std::unique_ptr<Message> only_b(b.New());
  const auto* reflection = a.GetReflection();
  only_a->CopyFrom(a);
  only_b->CopyFrom(b);
  const auto* descriptor = a.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* other = descriptor->field(i);
    if (other == field) continue;
    reflection->ClearField(only_a.get(), other);
    reflection->ClearField(only_b.get(), other);
  }
  return MessageDifferencer::Equals(*only_a, *only_b);
}

void CollectChanged(const Message& before, const Message& after, const std::string& prefix,
                    std::vector<std::string>& out) {
  const auto* descriptor = before.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (FieldEquals(before, after, field)) continue;
    if (field->message_type() == v1::ChangeFeatures::descriptor() && !field->is_repeated()) {
      const auto* reflection = before.GetReflection();
      CollectChanged(reflection->GetMessage(before, field),
                     reflection->GetMessage(after, field),
                     absl::StrCat(prefix, field->name(), "."), out);
      continue;
    }
    out.push_back(absl::StrCat(prefix, field->name()));
  }
}

}  // namespace

absl::StatusOr<v1::ChangeAttributes> ApplyUpdate(const v1::ChangeAttributes& current,
                                                  const v1::ChangeAttributes& patch,
                                                  const google::protobuf::FieldMask& mask) {
  if (mask.paths().empty()) return patch;
  for (const auto& path : mask.paths()) {
    google::protobuf::FieldMask one;
    one.add_paths(path);
    if (!FieldMaskUtil::IsValidFieldMask<v1::ChangeAttributes>(one)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: unknown path \"", path, "\""));
    }
  }
  v1::ChangeAttributes result = current;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, mask, options, &result);
  return result;
}

std::vector<std::string> ChangedPaths(const v1::ChangeAttributes& before,
                                      const v1::ChangeAttributes& after) {
  std::vector<std::string> out;
  CollectChanged(before, after, "", out);
  return out;
}

}  // namespace changeledger::intake::domain
