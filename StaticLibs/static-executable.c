/*
 * Linked into every fully static swift-cni executable (Makefile: STATIC_EXECUTABLE), with
 * `--wrap=swift_copyAuxiliaryExecutablePath --wrap=dlopen`, so that nothing at run time needs a file
 * beyond the executable itself.
 *
 * - At start-up the Swift runtime looks for its crash backtracer (`swift-backtrace`) next to itself;
 *   in a static executable that means readlink("/proc/self/exe"), and without /proc (an empty chroot,
 *   an image FROM scratch) it aborts with "Unable to obtain Swift runtime path". We never ship the
 *   backtracer, so the lookup can only fail: answering "not found" at once keeps backtracing off, as it
 *   is anyway when the backtracer is missing, and saves the directory probes.
 * - The runtime's only dlopen is of a prespecialization library named by the debug variable
 *   SWIFT_DEBUG_LIB_PRESPECIALIZED_PATH; a static executable cannot load one, so it finds none.
 */
#include <stddef.h>

char *__wrap_swift_copyAuxiliaryExecutablePath(const char *name) {
    (void)name;
    return NULL;
}

void *__wrap_dlopen(const char *file, int mode) {
    (void)file;
    (void)mode;
    return NULL;
}
