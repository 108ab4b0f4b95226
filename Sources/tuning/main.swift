import CNIKit
import Netlink
