// The CPU kernels of one instruction set (see cpu/isa.hpp): exact all-points
// kNN, strict radius counts, KL terms, Gaussian-kernel sums. Pure kernels on
// raw C-contiguous arrays; the contract is csrc/API.md.
#pragma once

#include "cpu/common.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

#include "cpu/kernels_decl.inc"

}  // namespace PYMI_ISA_NS
}  // namespace pymi
