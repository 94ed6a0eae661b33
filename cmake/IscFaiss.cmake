# FAISS from Debian's libfaiss-dev (a static library with CMake config files), and what it needs:
# OpenMP and BLAS/LAPACK. Missing FAISS is an error that says how to install it.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(faiss CONFIG QUIET)
if(NOT faiss_FOUND)
  message(FATAL_ERROR "FAISS was not found: install Debian's libfaiss-dev (toolchain/bootstrap does), "
                      "or point faiss_DIR at a FAISS CMake config")
endif()
message(STATUS "isc: FAISS ${faiss_VERSION} from ${faiss_DIR}")
