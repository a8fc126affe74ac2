// The instruction-set namespace of the CPU kernels.
//
// Every kernel source (csrc/cpu/*.cpp) is compiled once per instruction set
// (CMakeLists.txt: baseline x86-64 and AVX2 + FMA), each time with
// PYMI_ISA_NS naming a namespace of its own (pymi::isa_base, pymi::isa_avx2),
// and csrc/cpu/dispatch.cpp calls the variant the CPU supports. All code in
// the kernel headers lives in that namespace too: an inline function or
// template compiled with AVX2 must never be merged by the linker with the
// baseline copy, which would put AVX2 instructions on the baseline path.
#pragma once

#ifndef PYMI_ISA_NS
#define PYMI_ISA_NS isa_base
#endif
