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

/* The reentrant user and group lookups: "no such entry" is a null result and status 0. */
#define NOT_FOUND(function, entry, key_type)                                                              \
    int __wrap_##function(key_type key, struct entry *found, char *buffer, size_t size, struct entry **result) { \
        (void)key, (void)found, (void)buffer, (void)size;                                                 \
        *result = NULL;                                                                                   \
        return 0;                                                                                         \
    }

NOT_FOUND(getpwnam_r, passwd, const char *)
NOT_FOUND(getpwuid_r, passwd, uid_t)
NOT_FOUND(getgrnam_r, group, const char *)
NOT_FOUND(getgrgid_r, group, gid_t)

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
