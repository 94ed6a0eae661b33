# Decides whether the CUDA kernels are built, and for which GPU architectures.
#   ISC_WITH_CUDA=AUTO (default): build them when a CUDA compiler is found.
#   ISC_WITH_CUDA=ON: a missing CUDA compiler is an error.  OFF: CPU only.
#   ISC_CUDA_ARCHITECTURES: override the architecture list (CMake syntax, e.g. "80-real;90").
set(ISC_WITH_CUDA "AUTO" CACHE STRING "Build the CUDA kernels: AUTO, ON or OFF")
set_property(CACHE ISC_WITH_CUDA PROPERTY STRINGS AUTO ON OFF)
set(ISC_CUDA_ARCHITECTURES "" CACHE STRING "GPU architectures; empty picks them from the toolkit version")

set(ISC_CUDA_ENABLED OFF)
if(NOT ISC_WITH_CUDA STREQUAL "OFF")
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS "/usr/local/cuda/bin/nvcc")
    set(CMAKE_CUDA_COMPILER "/usr/local/cuda/bin/nvcc")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(ISC_CUDA_ENABLED ON)
  elseif(ISC_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "ISC_WITH_CUDA=ON but no CUDA compiler was found: put nvcc on PATH or set CUDACXX")
  else()
    message(STATUS "isc: no CUDA compiler found; building the CPU kernels only")
  endif()
endif()

if(ISC_CUDA_ENABLED)
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  # Static runtime: libisc_cuda needs no libcudart at run time, only the driver, and loads
  # (reporting zero devices) on machines without one.
  set(CMAKE_CUDA_RUNTIME_LIBRARY Static)

  if(ISC_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "${ISC_CUDA_ARCHITECTURES}")
  elseif(CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 13.0)
    # "90" is sm_90 machine code plus compute_90 PTX, which newer GPUs compile at load time.
    set(CMAKE_CUDA_ARCHITECTURES "75-real;80-real;90")
    message(NOTICE "isc: CUDA ${CMAKE_CUDA_COMPILER_VERSION} cannot target sm_70: building sm_75, sm_80, sm_90 "
                   "and compute_90 PTX. A build for V100 (sm_70) needs a CUDA 12 toolkit.")
  elseif(CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 11.8)
    set(CMAKE_CUDA_ARCHITECTURES "70-real;80-real;90")
  else()
    set(CMAKE_CUDA_ARCHITECTURES "70-real;80")
  endif()
  # Compressed device code keeps the library small (about 3 MB instead of 25); needs CUDA 12.4+.
  set(ISC_CUDA_FATBIN_FLAGS "")
  if(CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 12.4)
    set(ISC_CUDA_FATBIN_FLAGS "--compress-mode=size")
  endif()
  message(STATUS "isc: CUDA ${CMAKE_CUDA_COMPILER_VERSION} at ${CMAKE_CUDA_COMPILER}, architectures ${CMAKE_CUDA_ARCHITECTURES}")
endif()
