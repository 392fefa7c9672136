//===- LossScaler.cpp - dynamic loss scaling for fp16 training ------------===//
//
// GradScaler's update rule and its checkpoint state; see LossScaler.h.
//
//===----------------------------------------------------------------------===//
#include "train/LossScaler.h"

namespace dlc {

LossScaler::LossScaler(float initialScale, int64_t growthInterval)
    : scale_(initialScale), growthInterval_(growthInterval) {}

void LossScaler::bind(std::map<std::string, const HostTensor *> &args) {
  if (!scale_)
    return;
  *reinterpret_cast<float *>(scaleT_.bytes.data()) = scale_;
  *reinterpret_cast<float *>(inverseT_.bytes.data()) = 1.0f / scale_;
  args["opt.loss_scale"] = &scaleT_;
  args["opt.grad_scale"] = &inverseT_;
}

bool LossScaler::update(const HostTensor &skipped) {
  if (!scale_)
    return false;
  return update(*reinterpret_cast<const float *>(skipped.bytes.data()) != 0);
}

bool LossScaler::update(bool overflowed) {
  if (!scale_)
    return false;
  if (overflowed) {
    scale_ *= 0.5f, goodSteps_ = 0;
    return true;
  }
  if (++goodSteps_ == growthInterval_)
    scale_ *= 2.0f, goodSteps_ = 0;
  return false;
}

void LossScaler::save(std::map<std::string, HostTensor> &tensors) const {
  if (!scale_)
    return;
  HostTensor s = HostTensor::zeros(DType::F32, {}),
             g = HostTensor::zeros(DType::I64, {});
  *reinterpret_cast<float *>(s.bytes.data()) = scale_;
  *reinterpret_cast<int64_t *>(g.bytes.data()) = goodSteps_;
  tensors["scaler/scale"] = std::move(s);
  tensors["scaler/good_steps"] = std::move(g);
}

bool LossScaler::restore(std::map<std::string, HostTensor> &tensors,
                         std::string &err) {
  auto s = tensors.find("scaler/scale"), g = tensors.find("scaler/good_steps");
  if (s == tensors.end() && g == tensors.end())
    return true;
  if (s == tensors.end() || g == tensors.end() ||
      s->second.dtype != DType::F32 || !s->second.shape.empty() ||
      g->second.dtype != DType::I64 || !g->second.shape.empty()) {
    err = "the loss scaler's state (scaler/scale f32 [], scaler/good_steps "
          "i64 []) is incomplete or has the wrong type";
    return false;
  }
  float sc = *reinterpret_cast<const float *>(s->second.bytes.data());
  int64_t good = *reinterpret_cast<const int64_t *>(g->second.bytes.data());
  if (!(sc >= 1 && sc <= 3.0e38f) || good < 0) {
    err = "the loss scaler's state is out of range (scale " +
          std::to_string(sc) + ", good steps " + std::to_string(good) + ")";
    return false;
  }
  if (scale_)
    scale_ = sc, goodSteps_ = good;
  tensors.erase(s);
  tensors.erase(g);
  return true;
}

} // namespace dlc
