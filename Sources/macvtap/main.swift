import CNIKit

PluginMain.exit(Macvtap.self)
