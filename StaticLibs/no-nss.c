/*
 * Linked into the plugins (Makefile: NO_NSS) with `--wrap=<function>` for each function below: the
 * name lookups that FoundationEssentials (user and group names, `~user` paths) and libnl (host,
 * service and protocol names) reference answer "not found" without touching NSS, so no plugin reads
 * /etc/nsswitch.conf, /etc/passwd or /etc/hosts, or needs a libnss_* module, on any node. The plugins
 * call none of them: users and groups are numbers (macvtap's owner/group), addresses are numeric.
 * scripts/check-static.sh checks that no NSS code is left in the executables.
 */
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/socket.h>

int __wrap_getpwnam_r(const char *name, struct passwd *entry, char *buffer, size_t size, struct passwd **result) {
    (void)name, (void)entry, (void)buffer, (void)size;
    *result = NULL;
    return 0;
}

int __wrap_getpwuid_r(uid_t uid, struct passwd *entry, char *buffer, size_t size, struct passwd **result) {
    (void)uid, (void)entry, (void)buffer, (void)size;
    *result = NULL;
    return 0;
}

int __wrap_getgrnam_r(const char *name, struct group *entry, char *buffer, size_t size, struct group **result) {
    (void)name, (void)entry, (void)buffer, (void)size;
    *result = NULL;
    return 0;
}

int __wrap_getgrgid_r(gid_t gid, struct group *entry, char *buffer, size_t size, struct group **result) {
    (void)gid, (void)entry, (void)buffer, (void)size;
    *result = NULL;
    return 0;
}

struct protoent *__wrap_getprotobyname(const char *name) {
    (void)name;
    return NULL;
}

struct protoent *__wrap_getprotobynumber(int protocol) {
    (void)protocol;
    return NULL;
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **result) {
    (void)node, (void)service, (void)hints;
    *result = NULL;
    return EAI_FAIL;
}

int __wrap_getnameinfo(const struct sockaddr *address, socklen_t length, char *host, socklen_t hostLength,
                       char *service, socklen_t serviceLength, int flags) {
    (void)address, (void)length, (void)host, (void)hostLength, (void)service, (void)serviceLength, (void)flags;
    return EAI_FAIL;
}
