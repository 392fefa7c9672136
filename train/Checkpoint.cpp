//===- Checkpoint.cpp - training checkpoints ------------------------------===//
#include "train/Checkpoint.h"

#include "runtime/core/AtomicFile.h"
#include "runtime/io/TensorFile.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace dlc {

namespace {

bool fail(std::string &err, const std::string &path, const std::string &msg) {
  err = path + ": " + msg;
  return false;
}

const char *stName(DType t) {
  switch (t) {
  case DType::F16: return "F16";
  case DType::BF16: return "BF16";
  case DType::F32: return "F32";
  case DType::F64: return "F64";
  case DType::I1: return "BOOL";
  case DType::I32: return "I32";
  case DType::I64: return "I64";
  }
  return "F32";
}

/// Test-only (test/Driver/train-kill.test): DLC_TEST_PAUSE_IN_SAVE=
/// <epoch>:<file> makes the save of that epoch stop halfway through its
/// temporary file, write the temporary file's path to <file> (renamed into
/// place, so a reader sees all of it or nothing) and sleep until killed.
/// A test can then kill the process at a known point of a save.
std::function<void(const std::string &)> pauseInSave(int64_t epoch) {
  const char *spec = std::getenv("DLC_TEST_PAUSE_IN_SAVE");
  if (!spec)
    return {};
  char *rest = nullptr;
  long long at = std::strtoll(spec, &rest, 10);
  if (rest == spec || *rest != ':' || at != epoch)
    return {};
  std::string ready = rest + 1;
  return [ready](const std::string &tmp) {
    std::string part = ready + ".part";
    if (FILE *f = std::fopen(part.c_str(), "w")) {
      std::fprintf(f, "%s\n", tmp.c_str());
      std::fclose(f);
      std::rename(part.c_str(), ready.c_str());
    }
    for (;;)
      ::pause();
  };
}

} // namespace

bool writeCheckpoint(const std::string &path, const Checkpoint &ckpt,
                     std::string &err) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "dlc-checkpoint"},
                            {"model", ckpt.model},
                            {"optimizer", ckpt.optimizer},
                            {"epoch", std::to_string(ckpt.epoch)},
                            {"step", std::to_string(ckpt.step)}};
  uint64_t offset = 0;
  std::vector<std::string_view> chunks(1);
  for (const auto &[k, t] : ckpt.tensors) {
    if (k == "__metadata__" ||
        size_t(t.numel()) * dtypeSize(t.dtype) != t.bytes.size())
      return fail(err, path, "cannot write tensor '" + k + "'");
    header[k] = {{"dtype", stName(t.dtype)},
                 {"shape", t.shape},
                 {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
    chunks.emplace_back(reinterpret_cast<const char *>(t.bytes.data()),
                        t.bytes.size());
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string head(8, '\0');
  for (int b = 0; b < 8; ++b)
    head[b] = static_cast<char>((uint64_t(text.size()) >> (8 * b)) & 0xff);
  head += text;
  chunks[0] = head;
  return writeFileAtomically(path, chunks, err, pauseInSave(ckpt.epoch));
}

bool readCheckpoint(const std::string &path, Checkpoint &ckpt,
                    std::string &err) {
  // The tensors (readSafetensors checks the header and every offset).
  if (!readSafetensors(path, ckpt.tensors, err))
    return false;
  // The metadata, from the header that readSafetensors has just validated.
  std::ifstream in(path, std::ios::binary);
  unsigned char len[8];
  if (!in.read(reinterpret_cast<char *>(len), 8))
    return fail(err, path, "truncated: no header length");
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b)
    n = n << 8 | len[b];
  std::string text(n, '\0');
  if (!in.read(text.data(), std::streamsize(n)))
    return fail(err, path, "truncated header");
  nlohmann::json header = nlohmann::json::parse(text, nullptr, false);
  auto meta = header.is_object() ? header.find("__metadata__") : header.end();
  if (meta == header.end() || !meta->is_object() ||
      meta->value("format", "") != "dlc-checkpoint")
    return fail(err, path,
                "not a dlc checkpoint (no __metadata__ with format = "
                "\"dlc-checkpoint\")");
  auto field = [&](const char *key, std::string &out) {
    auto it = meta->find(key);
    if (it == meta->end() || !it->is_string())
      return fail(err, path, std::string("checkpoint metadata lacks '") + key +
                                 "'");
    out = it->get<std::string>();
    return true;
  };
  std::string epoch, step;
  if (!field("model", ckpt.model) || !field("optimizer", ckpt.optimizer) ||
      !field("epoch", epoch) || !field("step", step))
    return false;
  try {
    size_t used = 0;
    ckpt.epoch = std::stoll(epoch, &used);
    if (used != epoch.size() || ckpt.epoch < 0)
      throw std::invalid_argument(epoch);
    ckpt.step = std::stoll(step, &used);
    if (used != step.size() || ckpt.step < 0)
      throw std::invalid_argument(step);
  } catch (const std::exception &) {
    return fail(err, path, "checkpoint metadata has a bad epoch '" + epoch +
                               "' or step '" + step + "'");
  }
  return true;
}

std::string checkpointPath(const std::string &dir, int64_t epoch) {
  char name[64];
  std::snprintf(name, sizeof name, "epoch-%04lld.safetensors",
                static_cast<long long>(epoch));
  return dir + "/" + name;
}

bool latestCheckpoint(const std::string &dir, std::string &path,
                      std::string &err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail(err, dir, "no such checkpoint directory");
  long long best = -1;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    long long e;
    char tail[32];
    if (std::sscanf(name.c_str(), "epoch-%lld.%31s", &e, tail) == 2 &&
        std::string(tail) == "safetensors" && e > best) {
      best = e;
      path = entry.path().string();
    }
  }
  if (ec)
    return fail(err, dir, "cannot list: " + ec.message());
  if (best < 0)
    return fail(err, dir, "holds no checkpoint (epoch-NNNN.safetensors)");
  return true;
}

} // namespace dlc
