#ifndef CNETLINK_SHIM_H
#define CNETLINK_SHIM_H

/// setns(2) into a network namespace (setns and CLONE_NEWNET need _GNU_SOURCE).
int CNetlinkShim_setns_net(int fd);

/// 1 when fd refers to a network namespace (ioctl NS_GET_NSTYPE == CLONE_NEWNET), 0 otherwise.
int CNetlinkShim_is_netns(int fd);

#endif
