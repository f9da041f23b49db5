// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/formats.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "cc/sink/bin_formatter.h"
#include "cc/sink/line_formatter.h"
#include "cc/sink/raw_formatter.h"
#include "cc/sink/summary_formatter.h"

namespace sysstream {
namespace {

std::unique_ptr<Formatter> MakeText(const FormatterOptions& options,
                                    FormatOutput& out) {
  return std::make_unique<LineFormatter>(FormatText, options, out);
}

std::unique_ptr<Formatter> MakeJsonl(const FormatterOptions& options,
                                     FormatOutput& out) {
  return std::make_unique<LineFormatter>(FormatJson, options, out);
}

std::unique_ptr<Formatter> MakeSummary(const FormatterOptions& options,
                                       FormatOutput& out) {
  return std::make_unique<SummaryFormatter>(options, out);
}

std::unique_ptr<Formatter> MakeRaw(const FormatterOptions& options,
                                   FormatOutput& out) {
  return std::make_unique<RawFormatter>(options.delimiter, out);
}

std::unique_ptr<Formatter> MakeBin(const FormatterOptions&, FormatOutput& out) {
  return std::make_unique<BinFormatter>(out);
}

// In the order help texts and errors list them (after each use's default).
const FormatInfo kFormats[] = {
    {"text", LogFormat::kText, true, MakeText},
    {"jsonl", LogFormat::kJsonl, true, MakeJsonl},
    {"summary", std::nullopt, true, MakeSummary},
    {"raw", LogFormat::kRaw, true, MakeRaw},
    {"bin", LogFormat::kBin, false, MakeBin},
};

bool Accepts(const FormatInfo& f, FormatUse use) {
  return use == FormatUse::kStream ? f.log_format.has_value() : f.decode;
}

absl::string_view DefaultName(FormatUse use) {
  return use == FormatUse::kStream ? "raw" : "text";
}

}  // namespace

std::vector<const FormatInfo*> FormatsFor(FormatUse use) {
  std::vector<const FormatInfo*> out = {FindFormat(DefaultName(use), use)};
  for (const FormatInfo& f : kFormats) {
    if (Accepts(f, use) && f.name != DefaultName(use)) out.push_back(&f);
  }
  return out;
}

const FormatInfo* FindFormat(absl::string_view name, FormatUse use) {
  for (const FormatInfo& f : kFormats) {
    if (f.name == name && Accepts(f, use)) return &f;
  }
  return nullptr;
}

const FormatInfo& FormatOf(LogFormat format) {
  for (const FormatInfo& f : kFormats) {
    if (f.log_format == format) return f;
  }
  std::abort();  // a LogFormat without its line in kFormats
}

std::string FormatNames(FormatUse use, absl::string_view separator,
                        absl::string_view last_separator) {
  const std::vector<const FormatInfo*> formats = FormatsFor(use);
  std::string out;
  for (size_t i = 0; i < formats.size(); ++i) {
    if (i > 0) {
      absl::StrAppend(&out,
                      i + 1 == formats.size() ? last_separator : separator);
    }
    absl::StrAppend(&out, formats[i]->name);
  }
  return out;
}

}  // namespace sysstream
