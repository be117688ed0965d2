# The kernels compiled into libhetero: one line per kernel, sorted by name.
# Each kernels/<name>/ holds <name>.c (descriptor + serial), <name>_pool.c,
# optionally <name>_cl.c + <name>.cl, and test_<name>.c.
set(HETERO_KERNELS "")
set(HETERO_KERNEL_SOURCES "")
set(HETERO_KERNEL_CL_FILES "")
macro(hetero_add_kernel name)
    list(APPEND HETERO_KERNELS ${name})
    file(GLOB _srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/${name}/*.c)
    list(FILTER _srcs EXCLUDE REGEX "/test_[^/]*\\.c$")
    if(NOT HETERO_WITH_OPENCL)
        list(FILTER _srcs EXCLUDE REGEX "_cl\\.c$")
    endif()
    list(APPEND HETERO_KERNEL_SOURCES ${_srcs})
    if(EXISTS ${PROJECT_SOURCE_DIR}/kernels/${name}/${name}.cl)
        list(APPEND HETERO_KERNEL_CL_FILES ${PROJECT_SOURCE_DIR}/kernels/${name}/${name}.cl)
    endif()
endmacro()

hetero_add_kernel(vecadd)
