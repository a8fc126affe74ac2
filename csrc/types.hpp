// Types shared by the bindings, the CPU kernels and the CUDA kernels. Types
// only (no functions): this header is included by translation units compiled
// for different instruction sets, which must not share inline code.
#pragma once

#include <cstdint>

namespace pymi {

using index_t = std::int64_t;

// Distance metric of the neighbour kernels. SqEuclidean (Euclidean neighbours,
// squared distances reported) exists for the CUDA kNN only; the bindings
// refuse it elsewhere.
enum class Metric { Euclidean, Chebyshev, SqEuclidean };

// CPU search algorithm: kd-tree (low dimension) or tiled brute force.
enum class Algorithm { KDTree, Brute };

}  // namespace pymi
