import Testing
import Netlink
